/* Big layers drawn from the service's vector tiles (render/map_tiles.py): each tiled layer's
 * Folium group gets a Leaflet.VectorGrid of /collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x},
 * styled as the embedded layers are (catalog colours, categories, schematic dashes), with a
 * popup of the catalog's fields on click and the feature's label on hover. Every value is put
 * into the page as text (textContent), never parsed as HTML. A tile meeting more features than
 * TILE_MAX_FEATURES holds only the layer gs_overview (tiles/overview.py): its cells are
 * shaded by their count, their popup says in Chinese how many features are there and to zoom
 * in, and a notice stays on the map while any such cell is drawn. Exposed as window.GS_TILES. */
(function () {
  "use strict";
  var cfg = window.GS_CONFIG;
  var map = window[cfg.mapVar];
  var tiled = {};
  var notices = {};
  /* Above the embedded layers' SVG (overlayPane, 400) as a later layer would be, below the
   * markers (600): the big layer's features take the clicks where they are drawn. SVG tiles,
   * not canvas: a canvas tile would take every click on its square, features or not, and
   * the counties beneath would no longer open their popups. */
  var PANE = "gs-tiles";
  if ((cfg.tiles || []).length && !map.getPane(PANE)) { map.createPane(PANE).style.zIndex = 450; }

  function styleOf(entry, props) {
    var style = entry.style;
    for (var i = 0; i < entry.categories.length; i++) {
      var rule = entry.categories[i];
      if (props[rule.property] === rule.value) { style = rule.style; break; }
    }
    var out = L.extend({}, style);
    if (entry.kind !== "point" && props.precision === "schematic") { out.dashArray = entry.schematicDash; }
    return out;
  }

  /* The popup: one row per catalog field that has a value (its words, ``<field>_zh``, first). */
  function popupContent(entry, props) {
    var div = L.DomUtil.create("div");
    var table = L.DomUtil.create("table", "", div);
    entry.fields.forEach(function (name, i) {
      var value = (name + "_zh") in props ? props[name + "_zh"] : props[name];
      if (value === null || value === undefined || String(value).trim() === "") { return; }
      var row = L.DomUtil.create("tr", "", table);
      L.DomUtil.create("th", "", row).textContent = entry.aliases[i];
      L.DomUtil.create("td", "", row).textContent = String(value);
    });
    return div;
  }

  /* An overview cell: shaded more deeply the more features it holds (a log scale, the same
   * at every zoom, so a cell reads alike wherever it is). */
  function overviewStyle(props) {
    var count = Math.max(1, Number(props.count) || 1);
    var opacity = Math.min(0.8, 0.25 + 0.14 * Math.log(count) / Math.LN10);
    return { fill: true, fillColor: "#d94801", fillOpacity: opacity, color: "#a63603", weight: 0.5, opacity: 0.6 };
  }

  function overviewContent(entry, props) {
    var div = L.DomUtil.create("div", "gs-overview-popup");
    div.textContent = entry.overview.popup.replace("{count}", String(Number(props.count) || 0));
    return div;
  }

  /* The notice: shown while a loaded tile of the grid is an overview tile (VectorGrid 1.3.0
   * (vendored, pinned) builds each tile from _getVectorTilePromise: wrapped to see which
   * tiles hold the overview layer; tileunload forgets them). */
  function watchOverview(entry, grid) {
    var shown = {};
    var notice = L.control({ position: "topright" });
    notice.onAdd = function () {
      var div = L.DomUtil.create("div", "gs-overview-notice");
      div.setAttribute("role", "status");
      div.textContent = entry.overview.notice;
      div.hidden = true;
      return div;
    };
    notice.addTo(map);
    function update() {
      notice.getContainer().hidden = Object.keys(shown).length === 0;
    }
    var fetchTile = grid._getVectorTilePromise;
    grid._getVectorTilePromise = function (coords, tileBounds) {
      var key = grid._tileCoordsToKey(coords);
      return fetchTile.call(grid, coords, tileBounds).then(function (tile) {
        if (tile && tile.layers && tile.layers[entry.overview.layer]) { shown[key] = true; } else { delete shown[key]; }
        update();
        return tile;
      });
    };
    grid.on("tileunload", function (event) { delete shown[grid._tileCoordsToKey(event.coords)]; update(); });
    grid.on("remove", function () { shown = {}; update(); });
    return notice;
  }

  function label(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  /* Timing mark for benchmarks/page_weight.py: the first frame painted after every tiled
   * layer's tiles of the first view are loaded and drawn (GridLayer's "load": VectorGrid calls
   * a tile done a frame after its paths are added). */
  var waiting = (cfg.tiles || []).length;
  function tileLayerLoaded() {
    waiting -= 1;
    if (waiting === 0) {
      requestAnimationFrame(function () {
        requestAnimationFrame(function () { performance.mark("gs-tiles-painted"); });
      });
    }
  }

  (cfg.tiles || []).forEach(function (entry) {
    var group = window[entry.group];
    var styles = {};
    styles[entry.name] = function (props) { return styleOf(entry, props); };
    styles[entry.overview.layer] = overviewStyle;
    var options = {
      rendererFactory: L.svg.tile,
      pane: PANE,
      vectorTileLayerStyles: styles,
      interactive: true,
      maxNativeZoom: entry.maxNativeZoom,
      fetchOptions: { credentials: "same-origin" },
      getFeatureId: function (feature) { return feature.properties.gs_fid; }  /* cells: none */
    };
    if (entry.bounds) { options.bounds = L.latLngBounds(entry.bounds); }
    var grid = L.vectorGrid.protobuf(entry.url, options);
    var hover = L.tooltip({ sticky: true, direction: "top", offset: [0, -4] });
    var popup = L.popup({ maxWidth: 420 });
    grid.on("click", function (event) {
      var props = (event.layer && event.layer.properties) || {};
      map.closeTooltip(hover);
      var cell = !("gs_fid" in props) && "count" in props;
      var content = cell ? overviewContent(entry, props) : popupContent(entry, props);
      popup.setLatLng(event.latlng).setContent(content).openOn(map);
    });
    grid.on("mouseover", function (event) {
      var props = (event.layer && event.layer.properties) || {};
      /* no hover label over the feature's own open popup */
      if (!props.gs_label || map.hasLayer(popup)) { return; }
      hover.setLatLng(event.latlng).setContent(label(String(props.gs_label)));
      map.openTooltip(hover);
    });
    grid.on("mouseout", function () { map.closeTooltip(hover); });
    var notice = watchOverview(entry, grid);
    grid.once("load", tileLayerLoaded);
    group.addLayer(grid);
    tiled[entry.name] = grid;
    notices[entry.name] = notice;
  });

  window.GS_TILES = { layers: tiled, notices: notices, popupContent: popupContent, styleOf: styleOf };
})();
