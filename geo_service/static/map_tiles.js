/* Big layers drawn from the service's vector tiles (render/map_tiles.py): each tiled layer's
 * Folium group gets a grid of /collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x} (fetched and
 * decoded by the vendored Leaflet.VectorGrid 1.3.0, drawn here on canvas: CanvasGrid), styled
 * as the embedded layers are (catalog colours, categories, schematic dashes), with a popup of
 * the catalog's fields on click and the feature's label on hover. Every value is put into the
 * page as text (textContent), never parsed as HTML. A tile meeting more features than
 * TILE_MAX_FEATURES holds only the layer gs_overview (tiles/overview.py): its cells are
 * shaded by their count, their popup says in Chinese how many features are there and to zoom
 * in, and a notice stays on the map while any such cell is drawn. Exposed as window.GS_TILES.
 *
 * Canvas, not SVG: a dense z14 view of the 10^6-parcel layer is 91,102 features; as SVG paths
 * (L.svg.tile) the browser took 4.1-5.9 s to draw it, on VectorGrid's canvas renderer
 * (L.canvas.tile) 2.0-2.7 s (a Leaflet layer object per feature), drawn here straight from the
 * decoded tiles 1.0-1.5 s (load 2-4), the pixels identical to the SVG's (benchmarks/README.md,
 * page_weight.py --zoom 14). A canvas would take every click on its square, features or
 * not, so the tile canvases take no pointer events at all (pointer-events: none) and this
 * script hit-tests the tiles itself (featureAt, passThrough): where a feature is drawn it
 * takes the click and the hover, as the SVG paths did; anywhere else the event reaches the
 * embedded layers beneath (counties, zones: overlayPane) untouched. */
(function () {
  "use strict";
  var cfg = window.GS_CONFIG;
  var map = window[cfg.mapVar];
  var tiled = {};
  var notices = {};
  /* Above the embedded layers' SVG (overlayPane, 400) as a later layer would be, below the
   * markers (600): the big layer's features take the clicks where they are drawn (passThrough
   * decides, the canvases themselves take no events). */
  var CanvasGrid = window.GS_CANVAS_TILES.CanvasGrid;  /* map_tiles_canvas.js */
  var contains = window.GS_CANVAS_TILES.contains;
  var PANE = "gs-tiles";
  var PANE_Z = 450;
  if ((cfg.tiles || []).length && !map.getPane(PANE)) { map.createPane(PANE).style.zIndex = PANE_Z; }

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

  /* styleOf for the grid: one object per category and precision, not one per feature (so
   * drawStyle merges each once, not ~91,000 times in a z14 view). */
  function cachedStyle(entry) {
    var cache = {};
    return function (props) {
      var key = entry.kind !== "point" && props.precision === "schematic" ? "s" : "p";
      for (var i = 0; i < entry.categories.length; i++) {
        if (props[entry.categories[i].property] === entry.categories[i].value) { key += i; break; }
      }
      return cache[key] || (cache[key] = styleOf(entry, props));
    };
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

  /* The notice: shown while a loaded tile of the grid is an overview tile (CanvasGrid draws
   * each tile from VectorGrid 1.3.0's _getVectorTilePromise (vendored, pinned): wrapped to see
   * which tiles hold the overview layer; tileunload forgets them). */
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
   * layer's tiles of the first view are loaded and drawn (GridLayer's "load": CanvasGrid calls
   * a tile done a frame after drawing it, as VectorGrid did after adding its paths). */
  var waiting = (cfg.tiles || []).length;
  function tileLayerLoaded() {
    waiting -= 1;
    if (waiting === 0) {
      requestAnimationFrame(function () {
        requestAnimationFrame(function () { performance.mark("gs-tiles-painted"); });
      });
    }
  }

  /* Hit-testing the canvas tiles. The feature under a point: in the tile of the grid's zoom
   * holding it, the last drawn (the topmost) that contains it. Grids added later are on top. */
  var grids = [];
  function featureAt(containerPoint) {
    var latlng = map.containerPointToLatLng(containerPoint);
    for (var g = grids.length - 1; g >= 0; g--) {
      var grid = grids[g];
      if (!grid._map || grid._tileZoom === undefined) { continue; }
      var size = grid.getTileSize();
      var pixel = map.project(latlng, grid._tileZoom);
      var coords = L.point(Math.floor(pixel.x / size.x), Math.floor(pixel.y / size.y));
      coords.z = grid._tileZoom;
      var records = grid._drawn[grid._tileCoordsToKey(grid._wrapCoords(coords))];
      if (!records) { continue; }
      var local = pixel.subtract(coords.scaleBy(size));
      for (var i = records.length - 1; i >= 0; i--) {
        if (contains(records[i], local)) { return { grid: grid, layer: records[i] }; }
      }
    }
    return null;
  }

  /* Whether an event's target lies beneath the tiles (the map itself, or a pane no higher
   * than theirs: the embedded layers' SVG): there the tiles' features come first. Markers,
   * popups, tooltips, controls, the drawing tools' layers are above them and keep their
   * events. */
  function beneathTiles(el) {
    var container = map.getContainer();
    if (el === container || el === map._mapPane) { return true; }
    for (var node = el; node && node !== container; node = node.parentNode) {
      if (node.parentNode === map._mapPane) {
        return Number(window.getComputedStyle(node).zIndex) <= PANE_Z;
      }
    }
    return false;
  }

  /* The element beneath that Leaflet would fire a hover to (a path of an embedded layer),
   * or null (the map's own background: nothing to tell). */
  function leafletTarget(el) {
    var container = map.getContainer();
    for (var node = el; node && node !== container; node = node.parentNode) {
      if (node._leaflet_id && map._targets[node._leaflet_id]) { return node; }
    }
    return null;
  }

  /* What Leaflet's own canvas renderer does (Map._fireDOMEvent with the layer as target),
   * by hand: the event's points, fired on the grid with the feature as its layer. */
  function eventData(e) {
    var containerPoint = map.mouseEventToContainerPoint(e);
    var layerPoint = map.containerPointToLayerPoint(containerPoint);
    return {
      originalEvent: e, containerPoint: containerPoint, layerPoint: layerPoint,
      latlng: map.layerPointToLatLng(layerPoint)
    };
  }
  function fireOn(hit, type, data) {
    hit.grid.fire(type, L.extend({ layer: hit.layer, propagatedFrom: hit.layer, sourceTarget: hit.layer }, data));
  }

  /* Capture-phase listeners on the map's container: they see every mouse event before the
   * element under the pointer does. A click on a drawn feature is stopped there and given to
   * the grid (after the map's "preclick", before its "click", as Leaflet orders them for a
   * path); any other click goes on to whatever is beneath. Moving onto a feature, the layer
   * beneath is told the mouse left it (a mouseout, so its tooltip and highlight go) and the
   * browser's own mouseover/mouseout beneath are held back while on the feature; moving off,
   * the layer beneath gets its mouseover. mousemove always goes on (the coordinates readout). */
  function passThrough() {
    var container = map.getContainer();
    var ours = new WeakSet();  /* the events this script sends */
    var hovered = null;
    function tell(el, type, e) {
      var sent = new MouseEvent(type, {
        bubbles: true, cancelable: true, view: window, clientX: e.clientX, clientY: e.clientY,
        screenX: e.screenX, screenY: e.screenY, relatedTarget: null
      });
      ours.add(sent);
      el.dispatchEvent(sent);
    }
    function hitFor(e) {
      if (!beneathTiles(e.target)) { return null; }
      return featureAt(map.mouseEventToContainerPoint(e));
    }
    function leave(e) {
      if (!hovered) { return; }
      var was = hovered;
      hovered = null;
      container.style.cursor = "";
      fireOn(was, "mouseout", eventData(e));
    }
    container.addEventListener("mousemove", function (e) {
      if (ours.has(e) || (map.dragging && map.dragging.moving()) || map._animatingZoom) { return; }
      var hit = hitFor(e);
      if (hit && hovered && hit.layer === hovered.layer) { container.style.cursor = "pointer"; return; }
      var beneath = leafletTarget(e.target);
      if (hovered) {
        leave(e);
        if (!hit && beneath && beneathTiles(beneath)) { tell(beneath, "mouseover", e); }
      } else if (hit && beneath) {
        tell(beneath, "mouseout", e);
      }
      if (hit) {
        hovered = hit;
        container.style.cursor = "pointer";
        fireOn(hit, "mouseover", eventData(e));
      }
    }, true);
    function holdBack(e) {
      if (!hovered || ours.has(e)) { return; }
      if (e.type === "mouseout" && !(e.relatedTarget && container.contains(e.relatedTarget))) {
        leave(e);  /* off the map altogether */
        return;
      }
      if (beneathTiles(e.target)) { e.stopPropagation(); }
    }
    /* while the map is dragged, its own cursor (Leaflet's "move") */
    map.on("dragstart", function () { container.style.cursor = ""; });
    container.addEventListener("mouseover", holdBack, true);
    container.addEventListener("mouseout", holdBack, true);
    container.addEventListener("click", function (e) {
      if (ours.has(e) || map._draggableMoved(map)) { return; }
      var hit = hitFor(e);
      if (!hit) { return; }
      e.stopPropagation();
      var data = eventData(e);
      map.fire("preclick", data);
      fireOn(hit, "click", data);
      if (!e._stopped) { map.fire("click", data); }
    }, true);
  }

  (cfg.tiles || []).forEach(function (entry) {
    var group = window[entry.group];
    var styles = {};
    styles[entry.name] = cachedStyle(entry);
    styles[entry.overview.layer] = overviewStyle;
    var options = {
      pane: PANE,
      vectorTileLayerStyles: styles,
      /* no Leaflet events of their own: passThrough fires the grid's click and hover, its
       * event's layer the feature's record (.properties) */
      interactive: false,
      maxNativeZoom: entry.maxNativeZoom,
      fetchOptions: { credentials: "same-origin" }
    };
    if (entry.bounds) { options.bounds = L.latLngBounds(entry.bounds); }
    var grid = new CanvasGrid(entry.url, options);
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
    grids.push(grid);
  });
  if (grids.length) { passThrough(); }

  window.GS_TILES = { layers: tiled, notices: notices, popupContent: popupContent, styleOf: styleOf };
})();
