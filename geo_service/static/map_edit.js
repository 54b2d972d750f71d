/* Editing on the map (OGC API - Features Part 4) and every feature's change history.
 * Picking a feature (its popup) shows it in the side panel with its history (the versions in
 * which it changed). Planners (the role /api/me reports for the session) also get 编辑: move a
 * point, drag a polygon's or line's vertices, redraw it, edit its attributes, and save with a
 * PATCH carrying If-Match (the item's ETag) and the session's CSRF token; a 412 says someone
 * else changed it and offers to reload. Every user string is set with textContent.
 * Loaded after map.js, map_coords.js and leaflet.draw.js; exposed as window.GS_EDIT. */
(function () {
  "use strict";
  var cfg = window.GS_CONFIG, E = cfg && cfg.edit;
  if (!E || !/^https?:$/.test(window.location.protocol)) { return; }  // the offline file
  var map = window[cfg.mapVar], C = window.GS_COORDS, M = window.GS_MAP;
  var SKIP = { id: 1, source: 1, precision: 1, layer: 1, precision_zh: 1 };
  var EDIT_STYLE = { color: "#d6336c", weight: 3, opacity: 0.9, fillOpacity: 0.15, dashArray: null };
  /* Small vertex handles (Leaflet.draw's touch handles are 20 px: a zone's 128 vertices overlap). */
  var HANDLE = L.divIcon({ iconSize: [9, 9], className: "leaflet-div-icon leaflet-editing-icon gs-edit-vertex" });
  var state = { planner: false, csrf: null, user: null, picked: null, edit: null, redraw: null };

  /* The side panel: the picked feature, its history, the edit form. */
  var panel = el("section", "gs-edit", null);
  panel.id = "gs-edit";
  panel.hidden = true;
  var heading = el("h2", null, panel);
  var actions = el("div", "gs-edit-actions", panel);
  var status = el("div", "gs-edit-status", panel);
  status.setAttribute("aria-live", "polite");
  var form = el("form", "gs-edit-form", panel);
  form.hidden = true;
  var historyBox = el("div", "gs-edit-history", panel);
  var side = document.getElementById("gs-side");
  side.insertBefore(panel, side.querySelector(".gs-filter"));

  function el(tag, className, parent, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function button(text, onClick, parent, className) {
    var b = el("button", className || "gs-edit-button", parent, text);
    b.type = "button";
    b.addEventListener("click", function (event) { event.preventDefault(); onClick(); });
    return b;
  }
  function itemUrl(layerId, fid) {
    return E.collections + "/" + encodeURIComponent(layerId) + "/items/" + encodeURIComponent(fid);
  }
  function say(text, kind) {
    status.textContent = text || "";
    status.className = "gs-edit-status" + (kind ? " gs-edit-" + kind : "");
  }
  function round7(v) { return Math.round(v * 1e7) / 1e7; }

  fetch(E.me, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .catch(function () { return null; })
    .then(function (me) {
      if (me && (me.role === "planner" || me.role === "admin")) {
        state.planner = true;
        state.csrf = me.csrf || null;
        state.user = me.user;
        document.body.setAttribute("data-gs-planner", "1");
      }
      document.body.setAttribute("data-gs-edit-ready", "1");
    });

  /* A feature's popup opened: show it in the panel (unless another is being edited). */
  map.on("popupopen", function (event) {
    var source = event.popup._source, feature = source && source.feature;
    if (!feature || !feature.properties || !feature.properties.layer || state.edit) { return; }
    pick(feature.properties.layer, String(feature.id), source);
  });

  function pick(layerId, fid, source) {
    state.picked = { layerId: layerId, fid: fid, source: source };
    panel.removeAttribute("data-picked");
    var props = (source && source.feature && source.feature.properties) || {};
    panel.hidden = false;
    heading.textContent = "要素：" + (props.name || props.origin_name || fid);
    actions.textContent = "";
    say("");
    if (state.planner && E.layers.indexOf(layerId) >= 0) {
      button("编辑此要素", function () { startEdit(layerId, fid, source); }, actions, "gs-edit-button gs-edit-start");
    } else if (state.planner) {
      el("span", "gs-edit-note", actions, "此图层为基础参考数据，不能在线编辑。");
    }
    showHistory(layerId, fid);
  }

  function showHistory(layerId, fid) {
    historyBox.textContent = "";
    el("h3", null, historyBox, "修改记录");
    var list = el("ol", "gs-edit-history-list", historyBox);
    fetch(itemUrl(layerId, fid) + "/history", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { el("li", null, list, "（无法读取修改记录）"); return; }
        data.history.slice().reverse().forEach(function (h) {
          var item = el("li", "gs-edit-history-" + h.change, list);
          el("b", null, item, "第 " + h.version + " 版 " + h.change_text);
          el("span", null, item, " · " + h.time + " · " + h.user);
          el("div", "gs-edit-history-message", item, h.message);
        });
      })
      .then(function () { panel.setAttribute("data-picked", layerId + "/" + fid); });
  }

  /* Editing: the feature at full precision from the API, with its ETag. */
  function startEdit(layerId, fid, source) {
    say("正在读取要素……");
    fetch(itemUrl(layerId, fid), { credentials: "same-origin", cache: "no-cache", headers: { Accept: "application/geo+json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("读取要素失败（" + r.status + "）"); }
        var etag = r.headers.get("ETag");
        return r.json().then(function (feature) { begin(layerId, fid, source, feature, etag); });
      })
      .catch(function (error) { say(error.message, "error"); });
  }

  function shown(lng, lat) { return C.shownLatLng(L.latLng(lat, lng)); }
  function ringLatLngs(ring) { return ring.map(function (p) { return shown(p[0], p[1]); }); }

  function begin(layerId, fid, source, feature, etag) {
    stopEdit();
    map.closePopup();
    var group = L.featureGroup().addTo(map);
    var geometry = feature.geometry || {};
    var edit = { layerId: layerId, fid: fid, display: source, feature: feature, etag: etag, group: group,
                 kind: geometry.type, parts: [], changed: false };
    state.edit = edit;
    addParts(edit, geometry);
    buildForm(edit);
    actions.textContent = "";
    button("保存", save, actions, "gs-edit-button gs-edit-save");
    if (/Polygon|LineString/.test(edit.kind || "")) {
      button(/Polygon/.test(edit.kind) ? "重画多边形" : "重画线", redraw, actions, "gs-edit-button gs-edit-redraw");
    }
    button("取消", function () { stopEdit(); pick(layerId, fid, source); }, actions, "gs-edit-button gs-edit-cancel");
    say(/Point/.test(edit.kind || "") ? "拖动红色标记移动位置，修改属性后点“保存”。" :
      "拖动顶点修改形状（点击顶点删除，拖动中点增加顶点），修改属性后点“保存”。");
    document.body.setAttribute("data-gs-editing", fid);
    if (edit.parts.length && edit.parts[0].getBounds) { map.fitBounds(group.getBounds(), { maxZoom: 14, padding: [30, 30] }); }
    else if (edit.parts.length) { map.setView(group.getBounds().getCenter(), Math.max(map.getZoom(), 12)); }
  }

  function addParts(edit, geometry) {
    var c = geometry.coordinates;
    var kind = edit.kind;
    var points = kind === "Point" ? [c] : kind === "MultiPoint" ? c : null;
    if (points) {
      points.forEach(function (p) {
        var marker = L.marker(shown(p[0], p[1]), {
          draggable: true, zIndexOffset: 3000,
          icon: L.divIcon({ className: "gs-edit-point", html: "", iconSize: [18, 18], iconAnchor: [9, 9] })
        });
        marker.on("dragend", function () { edit.changed = true; });
        marker.addTo(edit.group);
        edit.parts.push(marker);
      });
      return;
    }
    var parts = kind === "Polygon" || kind === "LineString" ? [c] : c || [];
    parts.forEach(function (part) { addShape(edit, part); });
  }

  function addShape(edit, part) {
    var polygon = /Polygon/.test(edit.kind);
    var options = L.extend({ poly: { icon: HANDLE, touchIcon: HANDLE } }, EDIT_STYLE);
    var shape = polygon ? L.polygon(part.map(ringLatLngs), options) : L.polyline(ringLatLngs(part), options);
    shape.addTo(edit.group);
    shape.editing.enable();
    shape.on("edit", function () { edit.changed = true; });
    edit.parts.push(shape);
  }

  function redraw() {
    var edit = state.edit;
    if (!edit) { return; }
    edit.parts.forEach(function (part) { part.editing.disable(); edit.group.removeLayer(part); });
    edit.parts = [];
    var options = { shapeOptions: EDIT_STYLE, allowIntersection: false, showArea: false, showLength: false };
    state.redraw = /Polygon/.test(edit.kind) ? new L.Draw.Polygon(map, options) : new L.Draw.Polyline(map, options);
    state.redraw.enable();
    say(/Polygon/.test(edit.kind) ? "在地图上依次点击各顶点，点第一个点闭合；然后可拖动顶点微调。" :
      "在地图上依次点击各点，再点一次最后一点结束。");
  }
  map.on(L.Draw.Event.CREATED, function (event) {
    var edit = state.edit;
    if (!state.redraw || !edit) { return; }
    state.redraw = null;
    var latlngs = event.layer.getLatLngs();
    if (/Polygon/.test(edit.kind)) {
      var ring = (Array.isArray(latlngs[0]) ? latlngs[0] : latlngs).map(C.trueLatLng);
      var coords = ring.map(function (ll) { return [ll.lng, ll.lat]; });
      coords.push(coords[0]);
      addShape(edit, [coords]);
    } else {
      addShape(edit, latlngs.map(C.trueLatLng).map(function (ll) { return [ll.lng, ll.lat]; }));
    }
    edit.changed = true;
    say("已重画；可拖动顶点微调，然后点“保存”。");
  });

  function buildForm(edit) {
    form.textContent = "";
    form.hidden = false;
    var props = edit.feature.properties || {};
    edit.inputs = {};
    Object.keys(props).forEach(function (name) {
      var value = props[name];
      if (SKIP[name] || /_zh$/.test(name) || (value !== null && typeof value === "object")) { return; }
      var label = el("label", "gs-edit-field", form);
      el("span", null, label, (E.fields[name] || name) + "（" + name + "）");
      var input = el("input", null, label);
      input.type = "text";
      input.name = name;
      input.value = value === null || value === undefined ? "" : String(value);
      input.maxLength = 2000;
      edit.inputs[name] = input;
    });
    var precision = el("label", "gs-edit-field", form);
    el("span", null, precision, "精度（precision）");
    var select = el("select", null, precision);
    select.name = "precision";
    el("option", null, select, "（自动：不改几何则不变，改了几何为“示意”）").value = "";
    E.precisions.forEach(function (p) { el("option", null, select, p.label + "（" + p.value + "）").value = p.value; });
    edit.precision = select;
    var source = el("label", "gs-edit-field", form);
    el("span", null, source, "来源（source）");
    edit.sourceInput = el("input", null, source);
    edit.sourceInput.placeholder = "（自动：原来源；编辑：用户 日期）";
    edit.sourceInput.maxLength = 500;
    var message = el("label", "gs-edit-field", form);
    el("span", null, message, "修改说明（记入版本）");
    edit.message = el("input", null, message);
    edit.message.placeholder = "编辑要素 " + edit.fid;
    edit.message.maxLength = 200;
    form.onsubmit = function (event) { event.preventDefault(); save(); };
  }

  function geometry(edit) {
    function pos(ll) { var t = C.trueLatLng(ll); return [round7(t.lng), round7(t.lat)]; }
    function ring(latlngs) {
      var coords = latlngs.map(pos);
      if (coords.length && (coords[0][0] !== coords[coords.length - 1][0] || coords[0][1] !== coords[coords.length - 1][1])) {
        coords.push(coords[0].slice());
      }
      return coords;
    }
    var kind = edit.kind, parts = edit.parts;
    if (kind === "Point") { return { type: kind, coordinates: pos(parts[0].getLatLng()) }; }
    if (kind === "MultiPoint") { return { type: kind, coordinates: parts.map(function (m) { return pos(m.getLatLng()); }) }; }
    if (/LineString/.test(kind)) {
      var lines = parts.map(function (p) { return p.getLatLngs().map(pos); });
      return kind === "LineString" ? { type: kind, coordinates: lines[0] } : { type: kind, coordinates: lines };
    }
    var polygons = parts.map(function (p) {
      var rings = p.getLatLngs();
      if (!Array.isArray(rings[0])) { rings = [rings]; }
      return rings.map(ring);
    });
    return kind === "Polygon" ? { type: kind, coordinates: polygons[0] } : { type: kind, coordinates: polygons };
  }

  function changes(edit) {
    var old = edit.feature.properties || {}, patch = {};
    Object.keys(edit.inputs).forEach(function (name) {
      var text = edit.inputs[name].value, before = old[name];
      if (text === (before === null || before === undefined ? "" : String(before))) { return; }
      if (typeof before === "number" && text.trim() !== "" && isFinite(Number(text))) { patch[name] = Number(text); }
      else { patch[name] = text === "" && before !== "" ? null : text; }
    });
    if (edit.precision.value) { patch.precision = edit.precision.value; }
    if (edit.sourceInput.value.trim()) { patch.source = edit.sourceInput.value.trim(); }
    var body = {};
    if (Object.keys(patch).length) { body.properties = patch; }
    if (edit.changed) { body.geometry = geometry(edit); }
    return body;
  }

  function save() {
    var edit = state.edit;
    if (!edit) { return; }
    var body = changes(edit);
    if (!body.properties && !body.geometry) { say("没有修改，无需保存。"); return; }
    var headers = { "Content-Type": "application/merge-patch+json", Accept: "application/json", "If-Match": edit.etag };
    if (state.csrf) { headers["X-CSRF-Token"] = state.csrf; }
    if (edit.message.value.trim()) { headers["X-Change-Message"] = encodeURIComponent(edit.message.value.trim()); }
    say("正在保存……");
    fetch(itemUrl(edit.layerId, edit.fid), { method: "PATCH", credentials: "same-origin", headers: headers, body: JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return { r: r, data: data }; });
      })
      .then(function (answer) {
        var r = answer.r, data = answer.data;
        if (r.status === 200) { saved(edit, data, r.headers.get("ETag"), r.headers.get("X-Layer-Version")); return; }
        if (r.status === 412) { stale(edit); return; }
        var message = data && data.error && data.error.message;
        say((message || "保存失败") + "（HTTP " + r.status + "）", "error");
      })
      .catch(function () { say("保存失败：无法连接服务器，请稍后重试。", "error"); });
  }

  function stale(edit) {
    say("此要素已被他人修改，您的修改未保存。请重新载入最新内容后再修改。", "error");
    button("重新载入（放弃我的修改）", function () {
      stopEdit();
      startEdit(edit.layerId, edit.fid, edit.display);
    }, status, "gs-edit-button gs-edit-reload");
  }

  function saved(edit, feature, etag, version) {
    var source = edit.display;
    if (source && source.feature) {
      var props = Object.assign({}, feature.properties, { layer: edit.layerId });
      props.precision_zh = (E.precisions.filter(function (p) { return p.value === props.precision; })[0] || {}).label || props.precision;
      source.feature.properties = props;
      var g = feature.geometry;
      if (g && g.type === "Point" && source.setLatLng) { source.setLatLng(shown(g.coordinates[0], g.coordinates[1])); }
      else if (g && source.setLatLngs && /Polygon|LineString/.test(g.type)) {
        var depth = { LineString: 0, MultiLineString: 1, Polygon: 1, MultiPolygon: 2 }[g.type];
        source.setLatLngs(L.GeoJSON.coordsToLatLngs(g.coordinates, depth, function (p) { return shown(p[0], p[1]); }));
      }
    }
    stopEdit();
    pick(edit.layerId, edit.fid, source);
    say("已保存为图层第 " + version + " 版。", "ok");
    document.body.setAttribute("data-gs-saved", etag || "");
  }

  function stopEdit() {
    var edit = state.edit;
    if (state.redraw) { state.redraw.disable(); state.redraw = null; }
    if (!edit) { return; }
    edit.parts.forEach(function (part) { if (part.editing && part.editing.enabled()) { part.editing.disable(); } });
    map.removeLayer(edit.group);
    form.hidden = true;
    form.textContent = "";
    state.edit = null;
    document.body.removeAttribute("data-gs-editing");
  }

  /* For tests and the console: the display layer of a feature, and the state. */
  function find(layerId, fid) {
    return (M.features(layerId) || []).filter(function (leaf) { return String(leaf.feature.id) === fid; })[0];
  }
  /* Open a feature's popup as a click on it does (the popup is bound on its layer group). */
  function open(layerId, fid) {
    var leaf = find(layerId, fid);
    if (!leaf) { return false; }
    var at = leaf.getLatLng ? leaf.getLatLng() : leaf.getBounds().getCenter();
    leaf.fire("click", { latlng: at, target: leaf }, true);
    return true;
  }
  window.GS_EDIT = { state: state, pick: pick, find: find, open: open, startEdit: startEdit, save: save,
                     stopEdit: stopEdit };
})();
