/* The map page's search box: by name over the layers' features (counties, zones and parks,
 * new-materials bases, logistics nodes, clusters) and by coordinates (GS_COORDS.parse).
 * Names come from layers and later from user imports: they are shown with textContent only.
 * Keyboard: Enter picks the highlighted (or first) result, ↑/↓ move, Esc closes the list.
 * Exposed as window.GS_SEARCH for tests. Loaded after map.js and map_coords.js. */
(function () {
  "use strict";
  var GS = window.GS_MAP, C = window.GS_COORDS, map = GS.map;
  var MAX_RESULTS = 10, MAX_QUERY = 100;
  /* Searched layers, in the order their results are listed. */
  var KINDS = [
    ["counties", "县区"], ["zones", "工业集中区"], ["new_materials_bases", "新材料基地"],
    ["logistics_nodes", "物流节点"], ["clusters", "产业集群"]
  ];
  /* A zone's own kind when the plan gives one (高新区, 示范区, 飞地园区, 工业集中区). */
  var ZONE_KINDS = ["高新区", "示范区", "飞地园区", "工业集中区"];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function fold(text) { return String(text || "").toLowerCase().replace(/[\s“”"'·]/g, ""); }

  /* ---- the control ----------------------------------------------------------------------- */
  var box = el("div", "gs-search leaflet-bar");
  var row = el("div", "gs-search-row");
  var input = el("input", "gs-search-input");
  input.type = "search";
  input.id = "gs-search-input";
  input.maxLength = MAX_QUERY;
  input.autocomplete = "off";
  input.spellcheck = false;
  input.placeholder = "搜索地名，或输入坐标（108.97, 32.70）";
  input.setAttribute("aria-label", "搜索地名或坐标");
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", "gs-search-results");
  var clear = el("button", "gs-search-clear", "×");
  clear.type = "button";
  clear.title = "清除搜索和定位点";
  clear.setAttribute("aria-label", "清除搜索和定位点");
  row.appendChild(input);
  row.appendChild(clear);
  var zoneRow = el("label", "gs-search-zone", "Y 无带号时按 ");
  var zoneSelect = el("select");
  zoneSelect.id = "gs-search-zone";
  var defaultZone = (window.GS_CONFIG.tools || {}).gk_default_zone || C.DEFAULT_ZONE;
  C.ZONE_CHOICES.forEach(function (zone) {
    var option = el("option", "", "第" + zone + "带（" + C.centralMeridian(zone) + "°E，EPSG:" + C.epsg(zone, false) + "）");
    option.value = String(zone);
    option.selected = zone === defaultZone;
    zoneSelect.appendChild(option);
  });
  zoneRow.appendChild(zoneSelect);
  zoneRow.hidden = true;
  var list = el("ul", "gs-search-results");
  list.id = "gs-search-results";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "搜索结果");
  list.hidden = true;
  var status = el("div", "gs-search-status");
  status.setAttribute("aria-live", "polite");
  [row, zoneRow, list, status].forEach(function (part) { box.appendChild(part); });

  var Search = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function () {
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      L.DomEvent.on(box, "mousemove", L.DomEvent.stopPropagation);  // the readout stays put
      return box;
    }
  });
  new Search().addTo(map);
  /* above the zoom buttons, as in most map sites */
  var corner = box.parentNode;
  corner.insertBefore(box, corner.firstChild);
  /* popups pan clear of the tools' column (search, zoom, measuring) instead of opening under it */
  L.Popup.prototype.options.autoPanPaddingTopLeft = L.point(box.offsetWidth + 24, 10);

  /* ---- searching by name ----------------------------------------------------------------- */
  /* Every named feature of the searched layers, grouped by feature (a MultiPoint has several
   * markers). Built at each search: layers may gain features (imports, tests). */
  function entries() {
    var out = [];
    KINDS.forEach(function (pair, order) {
      var byId = {};
      GS.features(pair[0]).forEach(function (leaf) {
        var props = leaf.feature.properties || {};
        var key = String(leaf.feature.id !== undefined ? leaf.feature.id : L.stamp(leaf));
        if (!byId[key]) {
          var kind = pair[1];
          if (pair[0] === "zones" && ZONE_KINDS.indexOf(props.kind) >= 0) { kind = props.kind; }
          byId[key] = {
            type: "feature", layer: pair[0], id: key, order: order, kind: kind,
            name: String(props.name || ""), nameEn: String(props.name_en || ""),
            where: pair[0] === "counties" ? "" : String(props.county_name || ""), leaves: []
          };
          out.push(byId[key]);
        }
        byId[key].leaves.push(leaf);
      });
    });
    /* a cluster with no place in the plan has no marker, but it can still be found */
    (window.GS_CONFIG.clusters || []).forEach(function (cluster) {
      var known = out.some(function (e) { return e.layer === "clusters" && e.id === cluster.id; });
      if (!known) {
        out.push({ type: "feature", layer: "clusters", id: cluster.id, order: 4, kind: "产业集群",
                   name: String(cluster.name || ""), nameEn: "", where: "规划未点名地点", leaves: [] });
      }
    });
    return out.filter(function (e) { return e.name; });
  }

  function byName(query) {
    var q = fold(query);
    if (!q) { return []; }
    var found = [];
    entries().forEach(function (entry) {
      var name = fold(entry.name), rank = -1;
      if (name === q) { rank = 0; }
      else if (name.indexOf(q) === 0) { rank = 1; }
      else if (name.indexOf(q) > 0) { rank = 2; }
      else if (fold(entry.nameEn).indexOf(q) >= 0) { rank = 3; }
      if (rank >= 0) { entry.rank = rank; found.push(entry); }
    });
    found.sort(function (a, b) {
      return a.rank - b.rank || a.order - b.order || a.name.length - b.name.length ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    });
    return found;
  }

  /* ---- the results list ------------------------------------------------------------------ */
  var state = { results: [], active: -1, location: null, marker: null, picked: null, fitted: null };

  function setStatus(text, warning) {
    status.textContent = text || "";
    status.classList.toggle("gs-search-warning", !!warning);
  }
  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function search(text) {
    var query = String(text).slice(0, MAX_QUERY).trim();
    var results = [], message = "";
    var numeric = /\d/.test(C.normalise(query));  // full-width digits too
    zoneRow.hidden = !numeric;
    if (numeric) {
      var place = C.parse(query, Number(zoneSelect.value));
      if (place.error) { message = "无法识别为坐标：" + place.error; }
      else { results.push({ type: "coordinate", place: place, query: query }); }
    }
    var names = byName(query);
    var more = Math.max(0, names.length - (MAX_RESULTS - results.length));
    results = results.concat(names.slice(0, MAX_RESULTS - results.length));
    state.results = results;
    state.active = results.length ? 0 : -1;
    render(query, message, more);
    return results;
  }

  function render(query, message, more) {
    list.textContent = "";
    state.results.forEach(function (result, i) {
      var item = el("li", "gs-search-result");
      item.id = "gs-search-result-" + i;
      item.setAttribute("role", "option");
      if (result.type === "coordinate") {
        var p = result.place;
        item.appendChild(el("span", "gs-sr-name", "定位 " + C.formatLonLat(p.lon, p.lat)));
        item.appendChild(el("span", "gs-sr-kind", p.kind === "gk" ? "高斯坐标" : p.kind === "dms" ? "度分秒" : "经纬度"));
        if (p.notes.length) { item.appendChild(el("span", "gs-sr-sub", p.notes.join("；"))); }
      } else {
        item.appendChild(el("span", "gs-sr-name", result.name));
        item.appendChild(el("span", "gs-sr-kind", result.kind));
        if (result.where) { item.appendChild(el("span", "gs-sr-sub", result.where)); }
      }
      item.addEventListener("mousedown", function (event) { event.preventDefault(); });
      item.addEventListener("click", function () { pick(i); });
      list.appendChild(item);
    });
    if (!state.results.length && query) {
      list.appendChild(el("li", "gs-search-none", message || "没有名称包含“" + query + "”的要素"));
    } else if (more) {
      list.appendChild(el("li", "gs-search-more", "另有 " + more + " 条，请输入更多字"));
    }
    list.hidden = !query;
    input.setAttribute("aria-expanded", query ? "true" : "false");
    highlight(state.active);
  }

  function highlight(index) {
    var items = list.querySelectorAll(".gs-search-result");
    Array.prototype.forEach.call(items, function (item, i) {
      item.classList.toggle("gs-active", i === index);
      item.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    state.active = index;
    if (index >= 0 && items[index]) {
      input.setAttribute("aria-activedescendant", items[index].id);
      if (items[index].scrollIntoView) { items[index].scrollIntoView({ block: "nearest" }); }
    } else { input.removeAttribute("aria-activedescendant"); }
  }

  /* ---- picking a result ------------------------------------------------------------------ */
  function pick(index) {
    var result = state.results[index];
    if (!result) { return null; }
    close();
    state.picked = result;
    if (result.type === "coordinate") { return locate(result.place, result.query); }
    return showFeature(result);
  }

  function showFeature(entry) {
    var group = GS.layers[entry.layer];
    if (group && !map.hasLayer(group)) { map.addLayer(group); }
    map.closePopup();
    if (!entry.leaves.length) {
      var select = document.getElementById("gs-cluster");
      if (select) { select.value = entry.id; }
      GS.applyFilter(entry.id);
      setStatus("“" + entry.name + "”规划未点名地点：已在左侧“产业集群筛选”中选中，见其说明");
      return entry;
    }
    var bounds = L.latLngBounds([]);
    entry.leaves.forEach(function (leaf) {
      if (leaf.getBounds) { bounds.extend(leaf.getBounds()); } else { bounds.extend(leaf.getLatLng()); }
    });
    if (bounds.getNorthEast().equals(bounds.getSouthWest())) {
      map.setView(bounds.getCenter(), Math.max(map.getZoom(), 12), { animate: false });
    } else {
      map.fitBounds(bounds, { padding: [40, 40], maxZoom: 14, animate: false });
    }
    state.fitted = map.getBounds();
    /* the popup at the part nearest the middle of the view (a cluster has several places) */
    var middle = map.getCenter(), leaf = entry.leaves[0], best = Infinity;
    entry.leaves.forEach(function (part) {
      var where = part.getLatLng ? part.getLatLng() : part.getCenter();
      if (middle.distanceTo(where) < best) { best = middle.distanceTo(where); leaf = part; }
    });
    var at = leaf.getLatLng ? leaf.getLatLng() : leaf.getCenter();
    outline(entry.leaves);
    leaf.fire("click", { latlng: at }, true);  // as a click on it: its popup opens
    /* a click also opens the feature's hover label (for touch screens): the popup says more */
    map.eachLayer(function (layer) {
      if (layer instanceof L.Tooltip && !layer.options.permanent) { map.removeLayer(layer); }
    });
    setStatus(entry.kind + "：" + entry.name);
    return entry;
  }

  /* The chosen feature outlined until its popup closes or something else is chosen. */
  var OUTLINE = { color: "#00a6d6", weight: 4, opacity: 0.95, fill: false, interactive: false };
  var outlineLayer = L.layerGroup().addTo(map);
  function outline(leaves) {
    outlineLayer.clearLayers();
    leaves.forEach(function (leaf) {
      if (leaf instanceof L.Polygon) { outlineLayer.addLayer(L.polygon(leaf.getLatLngs(), OUTLINE)); }
      else if (leaf instanceof L.Polyline) { outlineLayer.addLayer(L.polyline(leaf.getLatLngs(), OUTLINE)); }
      else if (leaf.getLatLng) {
        outlineLayer.addLayer(L.circleMarker(leaf.getLatLng(), L.extend({ radius: 15 }, OUTLINE)));
      }
    });
  }
  map.on("popupclose", function () { outlineLayer.clearLayers(); });

  /* The county a point lies in (the display boundaries: near a border, within a few metres). */
  function inRing(lon, lat, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }
  function countyAt(lon, lat) {
    var hit = null;
    GS.features("counties").forEach(function (leaf) {
      var geometry = leaf.feature.geometry || {};
      var polygons = geometry.type === "Polygon" ? [geometry.coordinates] :
        geometry.type === "MultiPolygon" ? geometry.coordinates : [];
      polygons.forEach(function (rings) {
        if (!hit && inRing(lon, lat, rings[0]) &&
            !rings.slice(1).some(function (hole) { return inRing(lon, lat, hole); })) {
          hit = String(leaf.feature.properties.name || "");
        }
      });
    });
    return hit;
  }

  var LOCATE_ICON = L.divIcon({ className: "gs-div gs-locate-icon", html: '<div class="gs-locate-pin"></div>',
                                iconSize: [22, 22], iconAnchor: [11, 11] });
  var locateLayer = L.layerGroup().addTo(map);

  function addRow(table, label, value) {
    var tr = el("tr");
    tr.appendChild(el("th", "", label));
    tr.appendChild(el("td", "", value));
    table.appendChild(tr);
  }

  function zoneText(zone) {
    return "CGCS2000 3度带第" + zone + "带，中央经线 " + C.centralMeridian(zone) + "°E（EPSG:" +
      C.epsg(zone, true) + "，Y 不含带号为 EPSG:" + C.epsg(zone, false) + "）";
  }

  function locate(place, query) {
    locateLayer.clearLayers();
    var county = countyAt(place.lon, place.lat);
    var lonZone = C.zoneOf(place.lon), gk = C.toGK(place.lon, place.lat, lonZone);
    var content = el("div", "gs-locate-popup");
    content.appendChild(el("div", "gs-locate-title", "定位点"));
    var table = el("table");
    addRow(table, "输入", query);
    addRow(table, "经纬度", C.formatLonLat(place.lon, place.lat));
    addRow(table, "度分秒", C.formatDMS(place.lon, place.lat));
    addRow(table, "高斯坐标", C.formatGK(gk));
    addRow(table, "投影带", zoneText(lonZone));
    if (place.kind === "gk" && place.zone !== lonZone) {
      addRow(table, "按输入的带", C.formatGK(C.toGK(place.lon, place.lat, place.zone)) + "；" + zoneText(place.zone));
    }
    addRow(table, "所在县区", county || "不在安康市范围内");
    content.appendChild(table);
    var warning = county ? "" : "注意：该点不在安康市范围内，请核对坐标";
    place.notes.forEach(function (note) { content.appendChild(el("div", "gs-locate-note", note)); });
    if (warning) { content.appendChild(el("div", "gs-locate-warning", warning)); }
    var marker = L.marker(C.shownLatLng(L.latLng(place.lat, place.lon)), {
      icon: LOCATE_ICON, keyboard: false, zIndexOffset: 5000, title: "定位点"
    });
    marker._gsTrue = L.latLng(place.lat, place.lon);
    marker.bindPopup(content, { maxWidth: 420 });
    locateLayer.addLayer(marker);
    map.setView(marker.getLatLng(), Math.max(map.getZoom(), 13), { animate: false });
    marker.openPopup();
    state.location = { lon: place.lon, lat: place.lat, county: county, warning: warning, place: place };
    state.marker = marker;
    setStatus(warning || ("定位：" + C.formatLonLat(place.lon, place.lat) + "，" + county), !!warning);
    return state.location;
  }
  /* the marker follows the overlays when a GCJ-02 basemap comes or goes */
  map.on("layeradd layerremove", function () {
    locateLayer.eachLayer(function (marker) { marker.setLatLng(C.shownLatLng(marker._gsTrue)); });
  });

  function reset() {
    input.value = "";
    state.results = [];
    list.textContent = "";
    close();
    zoneRow.hidden = true;
    locateLayer.clearLayers();
    outlineLayer.clearLayers();
    state.location = null;
    state.marker = null;
    setStatus("");
  }

  /* ---- events ---------------------------------------------------------------------------- */
  input.addEventListener("input", function () { search(input.value); });
  input.addEventListener("focus", function () { if (input.value.trim()) { search(input.value); } });
  zoneSelect.addEventListener("change", function () { if (input.value.trim()) { search(input.value); } });
  input.addEventListener("keydown", function (event) {
    var n = state.results.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (list.hidden) { search(input.value); return; }
      if (n) { highlight((state.active + (event.key === "ArrowDown" ? 1 : n - 1)) % n); }
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (list.hidden) { search(input.value); }
      pick(state.active >= 0 ? state.active : 0);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  clear.addEventListener("click", function () { reset(); input.focus(); });
  map.on("click", close);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !list.hidden) { close(); }
  });

  window.GS_SEARCH = {
    input: input, list: list, zone: zoneSelect, status: status, state: state,
    search: search, pick: pick, reset: reset, countyAt: countyAt, locateLayer: locateLayer,
    outlineLayer: outlineLayer
  };
})();
