/* The canvas tiles of map_tiles.js: CanvasGrid, a Leaflet.VectorGrid (vendored, 1.3.0) whose
 * tiles are fetched and decoded by VectorGrid and drawn here straight onto one canvas each,
 * and ``contains``, the hit test map_tiles.js's pass-through uses on what was drawn. Nothing
 * here puts text into the page. Exposed as window.GS_CANVAS_TILES. */
(function () {
  "use strict";

  /* The grid: VectorGrid's own fetching and decoding (_getVectorTilePromise, which
   * watchOverview wraps), each tile then drawn here straight onto one canvas: what
   * VectorGrid's canvas renderer (L.canvas.tile) and Leaflet's _updatePoly/_fillStroke draw,
   * in the same order with the same options, without making a Leaflet layer for every
   * feature (~91,000 in a dense z14 view: that alone took ~1 s). Each tile keeps, in
   * grid._drawn[key], a record per feature drawn (properties, geometry in tile units, the
   * style, its box) for featureAt. The canvases take no pointer events (passThrough). */
  var PATH_DEFAULTS = L.Path.prototype.options;
  var merged = new WeakMap();

  /* A style as VectorGrid uses it: over L.Path's defaults, a line never filled, the dashes
   * parsed as Leaflet's Canvas._updateDashArray does; one per style object given. */
  function drawStyle(style, type) {
    var cache = merged.get(style);
    var key = type === 2 ? "line" : "shape";
    if (cache && cache[key]) { return cache[key]; }
    var out = L.extend({}, PATH_DEFAULTS, style);
    if (type === 2) { out.fill = false; }
    var dashes = out.dashArray;
    if (typeof dashes === "string") {
      dashes = dashes.split(/[, ]+/).map(Number);
      if (dashes.some(isNaN)) { dashes = null; }
    }
    out.dashes = dashes || [];
    if (!cache) { cache = {}; merged.set(style, cache); }
    cache[key] = out;
    return out;
  }

  function fillStroke(ctx, o) {
    if (o.fill) {
      ctx.globalAlpha = o.fillOpacity;
      ctx.fillStyle = o.fillColor || o.color;
      ctx.fill(o.fillRule || "evenodd");
    }
    if (o.stroke && o.weight !== 0) {
      ctx.setLineDash(o.dashes);
      ctx.globalAlpha = o.opacity;
      ctx.lineWidth = o.weight;
      ctx.strokeStyle = o.color;
      ctx.lineCap = o.lineCap;
      ctx.lineJoin = o.lineJoin;
      ctx.stroke();
    }
  }

  /* One feature (MVT type 1 point, 2 line, 3 polygon; rings in tile units, `scale` pixels a
   * unit) onto ctx; its record for hit-testing, its box in pixels, or null if not drawn. */
  function drawFeature(ctx, feature, o, scale) {
    var rings = feature.geometry;
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    var record = { properties: feature.properties, type: feature.type, rings: rings, style: o, scale: scale, box: box };
    if (feature.type === 1) {
      var first = rings[0] && rings[0][0];
      if (!first) { return null; }
      var r = Math.max(Math.round(o.radius || L.CircleMarker.prototype.options.radius), 1);
      record.point = { x: first.x * scale, y: first.y * scale };
      record.radius = r;
      ctx.beginPath();
      ctx.arc(record.point.x, record.point.y, r, 0, Math.PI * 2, false);
      fillStroke(ctx, o);
      return record;
    }
    if (!rings.length) { return null; }
    ctx.beginPath();
    for (var i = 0; i < rings.length; i++) {
      var ring = rings[i];
      for (var j = 0; j < ring.length; j++) {
        var x = ring[j].x * scale, y = ring[j].y * scale;
        if (j) { ctx.lineTo(x, y); } else { ctx.moveTo(x, y); }
        if (x < box[0]) { box[0] = x; }
        if (y < box[1]) { box[1] = y; }
        if (x > box[2]) { box[2] = x; }
        if (y > box[3]) { box[3] = y; }
      }
      if (feature.type === 3) { ctx.closePath(); }
    }
    fillStroke(ctx, o);
    return record;
  }

  /* Whether a drawn feature holds the tile pixel p: Leaflet's _containsPoint (CircleMarker:
   * within radius and half the stroke; Polygon: inside its rings, even-odd, or on its
   * outline; Polyline: within half the stroke of a segment), an unfilled ring by its
   * outline only, as its SVG path took events. */
  function contains(record, p) {
    var o = record.style;
    var w = o.stroke ? o.weight / 2 : 0;
    if (record.type === 1) {
      var dx = p.x - record.point.x, dy = p.y - record.point.y;
      return Math.sqrt(dx * dx + dy * dy) <= record.radius + w;
    }
    var box = record.box;
    if (p.x < box[0] - w || p.y < box[1] - w || p.x > box[2] + w || p.y > box[3] + w) { return false; }
    var s = record.scale, rings = record.rings, i, j, k, a, b;
    if (record.type === 3 && o.fill) {
      var inside = false;
      for (i = 0; i < rings.length; i++) {
        for (j = 0, k = rings[i].length - 1; j < rings[i].length; k = j++) {
          a = rings[i][j]; b = rings[i][k];
          if (((a.y * s > p.y) !== (b.y * s > p.y)) &&
              (p.x < (b.x - a.x) * s * (p.y - a.y * s) / ((b.y - a.y) * s) + a.x * s)) { inside = !inside; }
        }
      }
      if (inside) { return true; }
    }
    for (i = 0; i < rings.length; i++) {
      for (j = 0, k = rings[i].length - 1; j < rings[i].length; k = j++) {
        if (record.type === 2 && j === 0) { continue; }
        a = rings[i][k]; b = rings[i][j];
        if (L.LineUtil.pointToSegmentDistance(p, L.point(a.x * s, a.y * s), L.point(b.x * s, b.y * s)) <= w) { return true; }
      }
    }
    return false;
  }

  var CanvasGrid = L.VectorGrid.Protobuf.extend({
    initialize: function (url, options) {
      L.VectorGrid.Protobuf.prototype.initialize.call(this, url, options);
      this._drawn = {};
      this.on("tileunload", function (event) { delete this._drawn[this._tileCoordsToKey(event.coords)]; }, this);
    },

    createTile: function (coords, done) {
      var size = this.getTileSize();
      var ratio = L.Browser.retina ? 2 : 1;
      var canvas = document.createElement("canvas");
      canvas.width = ratio * size.x;
      canvas.height = ratio * size.y;
      canvas.style.pointerEvents = "none";
      var key = this._tileCoordsToKey(coords);
      var records = [];
      this._drawn[key] = records;
      var styles = this.options.vectorTileLayerStyles;
      this._getVectorTilePromise(coords).then(function (tile) {
        var ctx = canvas.getContext("2d");
        if (ratio !== 1) { ctx.scale(ratio, ratio); }
        for (var name in tile.layers) {
          var layer = tile.layers[name];
          var scale = size.x / layer.extent;
          var given = styles[name] || PATH_DEFAULTS;
          for (var i = 0; i < layer.features.length; i++) {
            var feature = layer.features[i];
            var style = typeof given === "function" ? given(feature.properties, coords.z) : given;
            var list = Array.isArray(style) ? style : [style];
            for (var n = 0; n < list.length; n++) {
              var record = drawFeature(ctx, feature, drawStyle(list[n], feature.type), scale);
              if (record) { records.push(record); }
            }
          }
        }
        L.Util.requestAnimFrame(done.bind(coords, null, null));
      });
      return canvas;
    }
  });

  window.GS_CANVAS_TILES = { CanvasGrid: CanvasGrid, contains: contains };
})();
