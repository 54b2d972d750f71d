// The version page's map: what changed between two versions of a layer, offline (vendored
// Leaflet, no tiles; the counties layer of this service for orientation). Added green,
// removed red dashed, changed orange over its old outline (thin dashed), unchanged grey.
// Names are put into the page as text nodes, never as HTML.
(function () {
  "use strict";
  var holder = document.getElementById("gs-version-map");
  var source = document.getElementById("gs-version-data");
  if (!holder || !source || typeof L === "undefined") return;
  var data = JSON.parse(source.textContent);
  var STYLE = {
    added: { color: "#1a9850", weight: 3, fillOpacity: 0.35 },
    removed: { color: "#d73027", weight: 3, dashArray: "8 6", fillOpacity: 0.1 },
    changed: { color: "#f46d43", weight: 3, fillOpacity: 0.35 },
    before: { color: "#f46d43", weight: 1.5, dashArray: "4 4", fill: false },
    unchanged: { color: "#888888", weight: 1, fillOpacity: 0.1 },
  };
  var WORDS = { added: "新增", removed: "删除", changed: "修改后", before: "修改前", unchanged: "未变" };
  var map = L.map(holder, { maxZoom: 18, preferCanvas: false });
  window.gsVersionMap = map;
  var order = ["unchanged", "before", "removed", "changed", "added"];
  var groups = {};
  order.forEach(function (kind) { groups[kind] = L.featureGroup().addTo(map); });
  function popup(props) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = props.name || props.id;
    box.appendChild(title);
    box.appendChild(document.createElement("br"));
    box.appendChild(document.createTextNode((WORDS[props.kind] || "") + " · " + props.id));
    return box;
  }
  data.features.forEach(function (feature) {
    var kind = feature.properties.kind;
    var style = STYLE[kind] || STYLE.unchanged;
    var layer = L.geoJSON(feature, {
      style: function () { return style; },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, Object.assign({ radius: 7 }, style));
      },
      onEachFeature: function (f, one) {
        one.bindPopup(function () { return popup(f.properties); });
      },
    });
    groups[kind in groups ? kind : "unchanged"].addLayer(layer);
  });
  holder.dataset.drawn = String(data.features.length);
  var all = L.featureGroup(order.map(function (k) { return groups[k]; }));
  var changed = L.featureGroup(["before", "removed", "changed", "added"].map(function (k) { return groups[k]; }));
  var bounds = changed.getLayers().some(function (g) { return g.getLayers().length; })
    ? changed.getBounds() : all.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds.pad(0.3));
  else map.setView([32.7, 109.0], 8);
  fetch(holder.dataset.counties || "/collections/counties/items?f=json&limit=100", { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (counties) {
      if (!counties) return;
      var outline = L.geoJSON(counties, {
        style: function () { return { color: "#555", weight: 1, fill: false, interactive: false }; },
        interactive: false,
      }).addTo(map);
      outline.bringToBack();
    })
    .catch(function () {})
    .then(function () { holder.dataset.ready = "1"; });
})();
