/* Big layers drawn from the service's vector tiles (render/map_tiles.py): each tiled layer's
 * Folium group gets a Leaflet.VectorGrid of /collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x},
 * styled as the embedded layers are (catalog colours, categories, schematic dashes), with a
 * popup of the catalog's fields on click and the feature's label on hover. Every value is put
 * into the page as text (textContent), never parsed as HTML. Exposed as window.GS_TILES. */
(function () {
  "use strict";
  var cfg = window.GS_CONFIG;
  var map = window[cfg.mapVar];
  var tiled = {};
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

  function label(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  (cfg.tiles || []).forEach(function (entry) {
    var group = window[entry.group];
    var styles = {};
    styles[entry.name] = function (props) { return styleOf(entry, props); };
    var options = {
      rendererFactory: L.svg.tile,
      pane: PANE,
      vectorTileLayerStyles: styles,
      interactive: true,
      maxNativeZoom: entry.maxNativeZoom,
      fetchOptions: { credentials: "same-origin" },
      getFeatureId: function (feature) { return feature.properties.gs_fid; }
    };
    if (entry.bounds) { options.bounds = L.latLngBounds(entry.bounds); }
    var grid = L.vectorGrid.protobuf(entry.url, options);
    var hover = L.tooltip({ sticky: true, direction: "top", offset: [0, -4] });
    var popup = L.popup({ maxWidth: 420 });
    grid.on("click", function (event) {
      var props = (event.layer && event.layer.properties) || {};
      map.closeTooltip(hover);
      popup.setLatLng(event.latlng).setContent(popupContent(entry, props)).openOn(map);
    });
    grid.on("mouseover", function (event) {
      var props = (event.layer && event.layer.properties) || {};
      /* no hover label over the feature's own open popup */
      if (!props.gs_label || map.hasLayer(popup)) { return; }
      hover.setLatLng(event.latlng).setContent(label(String(props.gs_label)));
      map.openTooltip(hover);
    });
    grid.on("mouseout", function () { map.closeTooltip(hover); });
    group.addLayer(grid);
    tiled[entry.name] = grid;
  });

  window.GS_TILES = { layers: tiled, popupContent: popupContent, styleOf: styleOf };
})();
