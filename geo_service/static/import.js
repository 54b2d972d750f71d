/* The import page: send the file as a dry run, show the fields chosen, the counts, the
 * problems and the changes (table + map: added green, removed red dashed, changed orange with
 * the old outline dashed), then confirm: the same file with dry_run=0 and based_on = the
 * version the dry run saw. Every text from the file or the server goes in with textContent. */
(function () {
  "use strict";
  var cfg = window.GS_IMPORT;
  var form = document.getElementById("gs-import-form");
  var fileInput = document.getElementById("gs-import-file");
  var message = document.getElementById("gs-import-message");
  var result = document.getElementById("gs-import-result");
  var summary = document.getElementById("gs-import-summary");
  var problems = document.getElementById("gs-import-problems");
  var problemCount = document.getElementById("gs-import-problem-count");
  var commitButton = document.getElementById("gs-import-commit");
  var done = document.getElementById("gs-import-done");
  var table = document.getElementById("gs-import-table");
  var KIND_ZH = { added: "新增", removed: "删除", grown: "扩大", shrunk: "缩小", moved: "移动或改形",
    attributes: "属性变化", unchanged: "未变" };
  var COLOURS = { added: "#1a9850", removed: "#d73027", changed: "#e08214", unchanged: "#4a6fa5" };
  var lastDry = null;
  var KIND = cfg.kind || "polygon";  /* the layer's kind: polygon, point or line */
  if (KIND !== "polygon") { KIND_ZH.moved = KIND === "point" ? "移动" : "移动或改线"; }

  var map = L.map("gs-import-map", { zoomControl: true, maxZoom: 18 });
  var b = cfg.bbox;
  map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
  L.control.scale({ imperial: false }).addTo(map);
  var counties = L.geoJSON(null, { style: { color: "#888", weight: 1, fill: false }, interactive: false }).addTo(map);
  var drawn = L.layerGroup().addTo(map);
  var byId = {};
  fetch(cfg.counties, { headers: { Accept: "application/geo+json" } })
    .then(function (r) { return r.json(); })
    .then(function (data) { counties.addData(data); })
    .catch(function () { /* the outlines are only a backdrop */ })
    .then(function () { document.body.setAttribute("data-import-ready", ""); });

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function group(kind) {
    if (kind === "added" || kind === "removed" || kind === "unchanged") { return kind; }
    return kind === "attributes" ? "unchanged" : "changed";
  }
  function mu(m2) { return (m2 * 15 / 10000).toFixed(2); }
  function metres(m) { return m === undefined || m === null ? "" : Number(m).toFixed(1); }
  /* points are drawn as circles (no marker images), lines thicker than outlines */
  function pointToLayer(f, latlng) { return L.circleMarker(latlng, { radius: 7 }); }

  function tooltip(feature, kind) {
    var box = el("div");
    box.appendChild(el("b", feature.properties.name || feature.id));
    box.appendChild(el("div", "编号 " + feature.id));
    box.appendChild(el("div", KIND_ZH[kind] || kind));
    return box;
  }

  function draw(preview) {
    drawn.clearLayers();
    byId = {};
    L.geoJSON(preview.old, {
      pointToLayer: pointToLayer,
      style: function (f) {
        var removed = f.properties.kind === "removed";
        return { color: removed ? COLOURS.removed : COLOURS.changed, weight: KIND === "line" ? 3 : 2,
          dashArray: "6 4", fillOpacity: removed ? 0.2 : 0, fillColor: COLOURS.removed };
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(tooltip(f, f.properties.kind === "removed" ? "removed" : "原边界"), { sticky: true });
        if (f.properties.kind === "removed") { byId[f.id] = layer; }
      }
    }).addTo(drawn);
    var fresh = L.geoJSON(preview.new, {
      pointToLayer: pointToLayer,
      style: function (f) {
        var colour = COLOURS[group(f.properties.kind)];
        var same = f.properties.kind === "unchanged";
        if (KIND === "point") { return { color: colour, weight: 2, fillColor: colour, fillOpacity: same ? 0.4 : 0.8 }; }
        return { color: colour, weight: KIND === "line" ? (same ? 3 : 4) : 2, fillColor: colour, fillOpacity: same ? 0.12 : 0.35 };
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(tooltip(f, f.properties.kind), { sticky: true });
        byId[f.id] = layer;
      }
    }).addTo(drawn);
    var bounds = fresh.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds.pad(0.2)); }
  }

  function describeField(field, asked) {
    if (!field) { return "未识别"; }
    return field + (asked ? "（指定）" : "（自动识别）");
  }

  function showSummary(answer) {
    summary.textContent = "";
    var dl = el("dl", null, "gs-import-summary");
    var asked = new FormData(form);
    var c = answer.counts, d = answer.diff.counts;
    var rows = [
      ["文件", answer.file.name + "（" + answer.file.format + "）"],
      ["坐标系", answer.file.crs + (answer.file.crs_note ? "；" + answer.file.crs_note : "")],
      ["编号字段", describeField(answer.fields.id, asked.get("id_field"))],
      ["名称字段", describeField(answer.fields.name, asked.get("name_field"))],
      ["文件中的字段", answer.fields.available.join("、") || "（无）"],
      ["保留本图层的属性", answer.fields.kept_from_layer.join("、") || "（无）"],
      ["精度", answer.precision],
      ["要素", c.features + " 个（当前第 " + answer.based_on + " 版 " + c.current + " 个）" +
        (KIND === "polygon" ? "，总面积 " + (answer.area_m2 / 1e6).toFixed(3) + " km²（" + mu(answer.area_m2) + " 亩）" : "")],
      ["变化", KIND === "polygon"
        ? "新增 " + d.added + "，删除 " + d.removed + "，扩大 " + d.grown + "，缩小 " + d.shrunk +
          "，移动或改形 " + d.moved + "，仅属性 " + d.attributes + "，未变 " + d.unchanged
        : "新增 " + d.added + "，删除 " + d.removed + "，" + (KIND === "point" ? "移动 " : "移动或改线 ") +
          d.moved + "，仅属性 " + d.attributes + "，未变 " + d.unchanged]
    ];
    rows.forEach(function (row) { dl.appendChild(el("dt", row[0])); dl.appendChild(el("dd", row[1])); });
    (answer.notes || []).forEach(function (n) { dl.appendChild(el("dd", n.message, "gs-note")); });
    summary.appendChild(dl);
  }

  function showProblems(answer) {
    problems.textContent = "";
    var errors = answer.counts.errors, warnings = answer.counts.warnings;
    problemCount.textContent = "错误 " + errors + "，提示 " + warnings;
    answer.problems.forEach(function (p) {
      var text = p.where + "：" + p.message + (p.hint ? "（" + p.hint + "）" : "");
      var item = el("li", (p.severity === "error" ? "错误：" : "提示：") + text, p.severity === "error" ? "gs-error" : "gs-warn");
      item.addEventListener("click", function () { focus(p.id); });
      problems.appendChild(item);
    });
    if (!answer.problems.length) { problems.appendChild(el("li", "未发现问题。")); }
  }

  function showTable(answer) {
    var body = table.querySelector("tbody");
    body.textContent = "";
    answer.diff.changes.forEach(function (ch) {
      var row = el("tr", null, "gs-kind-" + group(ch.kind));
      var measures = KIND === "point" ? [metres(ch.moved_m)]
        : KIND === "line" ? [metres(ch.length_before_m), metres(ch.length_after_m), metres(ch.length_change_m), metres(ch.moved_m)]
        : [mu(ch.area_before_m2), mu(ch.area_after_m2), ch.change_m2.toFixed(1), ch.change_mu.toFixed(2)];
      [KIND_ZH[ch.kind] || ch.kind, ch.id, ch.name || ""].concat(measures, [(ch.attributes || []).join("、")])
        .forEach(function (v) { row.appendChild(el("td", v)); });
      row.addEventListener("click", function () { focus(ch.id); });
      body.appendChild(row);
    });
    table.hidden = !answer.diff.changes.length;
  }

  function focus(id) {
    var layer = byId[id];
    if (!layer) { return; }
    if (layer.getLatLng) { map.setView(layer.getLatLng(), Math.max(map.getZoom(), 14)); }
    else { map.fitBounds(layer.getBounds().pad(0.5)); }
    layer.openTooltip();
  }

  function showError(body, status) {
    message.textContent = "";
    var error = (body && body.error) || {};
    message.appendChild(el("p", error.message || ("请求失败（HTTP " + status + "）")));
    var list = (error.details && error.details.problems) || [];
    if (list.length > 1) {
      var ul = el("ul");
      list.slice(1, 50).forEach(function (p) { ul.appendChild(el("li", p.where + "：" + p.message + (p.hint ? "（" + p.hint + "）" : ""))); });
      message.appendChild(ul);
    }
  }

  function send(dryRun) {
    var data = new FormData(form);
    if (!form.querySelector("[name=keep_attributes]").checked) { data.set("keep_attributes", "0"); }
    data.set("dry_run", dryRun ? "1" : "0");
    if (dryRun) { data.set("preview", "1"); } else { data.set("based_on", String(lastDry.based_on)); }
    return fetch(cfg.api, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { Accept: "application/json", "Accept-Language": document.documentElement.lang, "X-CSRF-Token": cfg.csrf }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { status: r.status, body: body }; });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    message.textContent = "正在读取和核对……";
    commitButton.disabled = true;
    done.hidden = true;
    send(true).then(function (answer) {
      if (answer.status !== 200) { result.hidden = true; showError(answer.body, answer.status); return; }
      message.textContent = "";
      lastDry = answer.body;
      result.hidden = false;
      showSummary(lastDry);
      showProblems(lastDry);
      showTable(lastDry);
      draw(lastDry.preview);
      commitButton.disabled = !lastDry.committable;
      commitButton.title = lastDry.committable ? "" : "请先改正错误";
    }).catch(function () { message.textContent = "无法连接服务，请稍后重试。"; });
  });
  fileInput.addEventListener("change", function () { commitButton.disabled = true; lastDry = null; });

  commitButton.addEventListener("click", function () {
    if (!lastDry) { return; }
    commitButton.disabled = true;
    message.textContent = "正在写入……";
    send(false).then(function (answer) {
      if (answer.status !== 201) { showError(answer.body, answer.status); return; }
      message.textContent = "";
      var v = answer.body.version;
      done.textContent = "";
      done.appendChild(el("span", "已写入第 " + v.number + " 版（" + v.feature_count + " 个要素，" + v.user + "，" + v.created_at + "）。"));
      var link = el("a", "在地图上查看");
      link.href = cfg.map;
      done.appendChild(link);
      done.appendChild(el("span", " · "));
      var items = el("a", "查看该版本及其变化");
      items.href = cfg.versions + "/" + v.number;
      done.appendChild(items);
      done.hidden = false;
      lastDry = null;
    }).catch(function () { message.textContent = "无法连接服务，请稍后重试。"; });
  });
})();
