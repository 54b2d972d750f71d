/* The map page's measuring tools and cursor readout.
 * Measuring draws with Leaflet.draw's polyline/polygon handlers (no toolbar of its own) and
 * computes on the CGCS2000 ellipsoid with GeographicLib (geodesic lengths, geodesic polygon
 * area: the same algorithm as pyproj.Geod); the area is also given in the Gauss-Krüger plane of
 * the polygon's 3-degree zone. The readout shows the point under the mouse in lon/lat and GK.
 * Points drawn over a GCJ-02 basemap are brought back to WGS 84 before measuring.
 * Exposed as window.GS_TOOLS for tests. Loaded after map.js and map_coords.js. */
(function () {
  "use strict";
  var GS = window.GS_MAP, C = window.GS_COORDS, map = GS.map;
  var units = window.GS_CONFIG.tools || {};
  var M2_PER_MU = units.mu_m2, M2_PER_HECTARE = units.hectare_m2;
  var geod = new geodesic.Geodesic.Geodesic(C.ELLIPSOID.a, C.ELLIPSOID.f);

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  /* 1234567.891 → "1,234,567.89" whatever the browser's locale */
  function grouped(value, digits) {
    var parts = C.fixed(value, digits).split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return parts.join(".");
  }

  /* ---- figures --------------------------------------------------------------------------- */
  function length(latlngs) {
    var total = 0;
    for (var i = 1; i < latlngs.length; i++) {
      total += geod.Inverse(latlngs[i - 1].lat, latlngs[i - 1].lng, latlngs[i].lat, latlngs[i].lng).s12;
    }
    return total;
  }
  function polygonFigures(latlngs) {
    var polygon = geod.Polygon(false);
    latlngs.forEach(function (ll) { polygon.AddPoint(ll.lat, ll.lng); });
    var result = polygon.Compute(false, true);  // signed: either way round gives the same area
    var lon = latlngs.reduce(function (sum, ll) { return sum + ll.lng; }, 0) / latlngs.length;
    var zone = C.zoneOf(lon), plane = 0;
    var points = latlngs.map(function (ll) { return C.toGK(ll.lng, ll.lat, zone); });
    for (var i = 0, j = points.length - 1; i < points.length; j = i++) {
      plane += points[j].y * points[i].x - points[i].y * points[j].x;
    }
    return { area: Math.abs(result.area), perimeter: result.perimeter, planeArea: Math.abs(plane) / 2,
             zone: zone };
  }
  function formatLength(m) {
    return m < 1000 ? grouped(m, 2) + " m" : grouped(m / 1000, 3) + " km（" + grouped(m, 2) + " m）";
  }
  function areaLines(f) {
    return [
      ["面积", grouped(f.area, 2) + " m²"],
      ["公顷", grouped(f.area / M2_PER_HECTARE, 4) + " 公顷"],
      ["亩", grouped(f.area / M2_PER_MU, 2) + " 亩"],
      ["平方公里", grouped(f.area / 1e6, 6) + " km²"],
      ["周长", formatLength(f.perimeter)],
      ["高斯平面面积", grouped(f.planeArea, 2) + " m²"]
    ];
  }

  /* ---- the measuring control ------------------------------------------------------------- */
  L.drawLocal.draw.handlers.polyline.tooltip = {
    start: "点击地图开始测距", cont: "点击添加下一点", end: "再点最后一点结束（Esc 取消）"
  };
  L.drawLocal.draw.handlers.polyline.error = "错误：边线不能相交";
  L.drawLocal.draw.handlers.polygon.tooltip = {
    start: "点击地图开始测面", cont: "点击添加下一点", end: "点第一个点闭合（Esc 取消）"
  };
  /* Leaflet.draw's vertex squares (20 px on any touch-capable browser), smaller */
  var VERTEX = new L.DivIcon({ iconSize: new L.Point(11, 11), className: "leaflet-div-icon leaflet-editing-icon" });
  var SHAPE = { color: "#d7301f", weight: 3, opacity: 0.9, fillColor: "#fc8d59", fillOpacity: 0.2 };
  var measured = L.featureGroup().addTo(map);
  var state = { mode: null, handler: null, last: null, results: [] };

  var box = el("div", "gs-measure leaflet-bar");
  var buttons = el("div", "gs-measure-buttons");
  function button(text, title, onClick) {
    var b = el("button", "gs-measure-button", text);
    b.type = "button";
    b.title = title;
    b.addEventListener("click", onClick);
    buttons.appendChild(b);
    return b;
  }
  var distanceButton = button("测距", "测量距离（椭球面测地线）", function () { toggle("distance"); });
  var areaButton = button("测面", "测量面积（m²、公顷、亩）", function () { toggle("area"); });
  var clearButton = button("清除", "清除全部量测结果", function () { clearAll(); });
  distanceButton.id = "gs-measure-distance";
  areaButton.id = "gs-measure-area";
  clearButton.id = "gs-measure-clear";
  var panel = el("div", "gs-measure-panel");
  panel.id = "gs-measure-panel";
  panel.setAttribute("aria-live", "polite");
  panel.hidden = true;
  box.appendChild(buttons);
  box.appendChild(panel);
  var Measure = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function () {
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      L.DomEvent.on(box, "mousemove", L.DomEvent.stopPropagation);
      return box;
    }
  });
  new Measure().addTo(map);

  function show(title, lines, hint) {
    panel.textContent = "";
    panel.appendChild(el("div", "gs-measure-title", title));
    var table = el("table");
    lines.forEach(function (pair) {
      var tr = el("tr");
      tr.appendChild(el("th", "", pair[0]));
      tr.appendChild(el("td", "", pair[1]));
      table.appendChild(tr);
    });
    if (lines.length) { panel.appendChild(table); }
    if (hint) { panel.appendChild(el("div", "gs-measure-hint", hint)); }
    panel.hidden = false;
  }

  function stop() {
    if (state.handler) {
      var handler = state.handler;
      state.handler = null;
      handler.disable();
    }
    state.mode = null;
    distanceButton.classList.remove("gs-on");
    areaButton.classList.remove("gs-on");
  }

  function toggle(mode) {
    var again = state.mode === mode;
    stop();
    if (again) { show("已取消量测", [], ""); return; }
    map.closePopup();
    state.mode = mode;
    (mode === "distance" ? distanceButton : areaButton).classList.add("gs-on");
    var options = { shapeOptions: SHAPE, showLength: false, showArea: false, metric: true, feet: false,
                    allowIntersection: mode === "distance", guidelineDistance: 12,
                    icon: VERTEX, touchIcon: VERTEX };
    state.handler = mode === "distance" ? new L.Draw.Polyline(map, options) : new L.Draw.Polygon(map, options);
    state.handler.enable();
    show(mode === "distance" ? "测距" : "测面", [],
      mode === "distance" ? "在地图上依次点击各点，再点一次最后一点结束；Esc 取消" :
        "在地图上依次点击各顶点，点第一个点闭合；Esc 取消");
  }

  function vertices(layers) {
    return layers.getLayers().map(function (marker) { return C.trueLatLng(marker.getLatLng()); });
  }
  function flat(latlngs) {
    while (latlngs.length && Array.isArray(latlngs[0])) { latlngs = latlngs[0]; }
    return latlngs;
  }

  map.on(L.Draw.Event.DRAWVERTEX, function (event) {
    if (!state.mode) { return; }
    var points = vertices(event.layers);
    if (state.mode === "distance") {
      show("测距（进行中）", [["已测", formatLength(length(points))], ["点数", String(points.length)]],
        "再点一次最后一点结束；Esc 取消");
    } else if (points.length >= 3) {
      var f = polygonFigures(points);
      show("测面（进行中）", [["面积", grouped(f.area, 2) + " m²（" + grouped(f.area / M2_PER_MU, 2) + " 亩）"]],
        "点第一个点闭合；Esc 取消");
    }
  });

  map.on(L.Draw.Event.CREATED, function (event) {
    var mode = state.mode;
    if (!mode) { return; }
    var layer = event.layer, shown = flat(layer.getLatLngs());
    var points = shown.map(C.trueLatLng);
    layer._gsTrue = points;
    layer.setStyle(SHAPE);
    var result, label;
    if (mode === "distance") {
      var m = length(points);
      result = { kind: "distance", length: m, points: points.length };
      label = formatLength(m);
      show("距离", [["总长", label], ["段数", String(points.length - 1)]],
        "椭球面测地线长度（CGCS2000 椭球）");
    } else {
      result = polygonFigures(points);
      result.kind = "area";
      label = grouped(result.area, 2) + " m²（" + grouped(result.area / M2_PER_MU, 2) + " 亩）";
      show("面积", areaLines(result), "“面积”为椭球面面积（CGCS2000 椭球，测地线边）；高斯平面面积为第" +
        result.zone + "带（中央经线 " + C.centralMeridian(result.zone) + "°E，EPSG:" + C.epsg(result.zone, false) +
        "）平面上的面积，供与图纸量算对照");
    }
    layer.bindTooltip(label, { permanent: true, direction: "center", className: "gs-measure-label" });
    measured.addLayer(layer);
    state.last = result;
    state.results.push(result);
    stop();
  });
  map.on(L.Draw.Event.DRAWSTOP, function () {
    if (state.handler) { stop(); }
  });

  function clearAll() {
    stop();
    measured.clearLayers();
    state.last = null;
    state.results = [];
    panel.textContent = "";
    panel.hidden = true;
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && state.handler) {
      stop();
      show("已取消量测", [], "");
    }
  });
  /* measured shapes follow the overlays when a GCJ-02 basemap comes or goes */
  map.on("layeradd layerremove", function (event) {
    if (event.layer === measured || measured.hasLayer(event.layer)) { return; }
    measured.eachLayer(function (layer) {
      if (layer._gsTrue) { layer.setLatLngs(layer._gsTrue.map(C.shownLatLng)); }
    });
  });

  /* ---- cursor readout -------------------------------------------------------------------- */
  var readout = el("div", "gs-readout");
  readout.id = "gs-readout";
  readout.title = "点击复制坐标";
  readout.setAttribute("role", "button");
  readout.tabIndex = 0;
  var lonlatLine = el("div", "gs-readout-lonlat", "移动鼠标查看坐标");
  var gkLine = el("div", "gs-readout-gk", "");
  var copied = el("div", "gs-readout-copied", "");
  [lonlatLine, gkLine, copied].forEach(function (part) { readout.appendChild(part); });
  var Readout = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd: function () {
      L.DomEvent.disableClickPropagation(readout);
      /* moving onto the readout to copy it must not change what it shows */
      L.DomEvent.on(readout, "mousemove", L.DomEvent.stopPropagation);
      return readout;
    }
  });
  new Readout().addTo(map);
  var cursor = { lon: null, lat: null, zone: null, x: null, y: null, text: "" };

  function update(latlng) {
    var ll = C.trueLatLng(latlng);
    var lon = ll.lng, lat = ll.lat, zone = C.zoneOf(lon), gk = C.toGK(lon, lat, zone);
    cursor = { lon: lon, lat: lat, zone: zone, x: gk.x, y: gk.y };
    lonlatLine.textContent = "经度 " + C.fixed(lon, 6) + "°  纬度 " + C.fixed(lat, 6) + "°";
    gkLine.textContent = "高斯 第" + zone + "带  " + C.formatGK(gk);
    cursor.text = C.fixed(lon, 6) + ", " + C.fixed(lat, 6) + "\t" + C.formatGK(gk) + "（第" + zone + "带）";
    copied.textContent = "";
  }
  map.on("mousemove", function (event) { update(event.latlng); });

  function copy() {
    if (!cursor.text) { return; }
    var done = function () { copied.textContent = "已复制"; };
    var fallback = function () {
      var area = el("textarea");
      area.value = cursor.text;
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); done(); } catch (e) { copied.textContent = "无法复制，请手工抄录"; }
      area.remove();
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(cursor.text).then(done, fallback);
    } else { fallback(); }
  }
  readout.addEventListener("click", copy);
  readout.addEventListener("keydown", function (event) {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); copy(); }
  });

  window.GS_TOOLS = {
    state: state, measured: measured, panel: panel, toggle: toggle, stop: stop, clear: clearAll,
    length: length, polygonFigures: polygonFigures, readout: readout,
    cursor: function () { return cursor; }
  };
})();
