/* The offline reference layer (参考底图) on the map page: river names written along the named
 * rivers, and the layer kept under the plan layers (above the county fill) whatever is
 * switched on again. Runs after map.js (uses window.GS_MAP). */
(function () {
  "use strict";
  var cfg = window.GS_CONFIG;
  var map = window[cfg.mapVar];
  var rivers = cfg.layers.reference_rivers && window[cfg.layers.reference_rivers];
  var counties = cfg.layers.counties && window[cfg.layers.counties];
  if (!rivers) { return; }
  var PAD = new Array(36).join("\u00a0");
  var labelled = [];

  function eachLine(fn) {
    rivers.eachLayer(function (geojson) {
      if (geojson.eachLayer) { geojson.eachLayer(fn); } else { fn(geojson); }
    });
  }

  /* Names only where the data (or its documented reading) has one; text, never HTML. */
  function label() {
    eachLine(function (line) {
      var props = (line.feature || {}).properties || {};
      if (!props.named || !line.setText) { return; }
      line.setText(PAD + props.name + PAD, {
        repeat: true, offset: -3,
        attributes: { fill: "#3f6fa5", "font-size": "12px", "class": "gs-river-label" }
      });
      labelled.push(props.name);
    });
  }

  /* New paths go on top in Leaflet's SVG: after a re-add, rivers go back under the plan
   * layers and the county fill under the rivers. */
  function restack() {
    rivers.bringToBack();
    if (counties) { counties.bringToBack(); }
  }
  map.on("layeradd", function (event) {
    if (event.layer === rivers || event.layer === counties) { restack(); }
  });

  label();
  if (window.GS_MAP) {
    window.GS_MAP.reference = { labelled: labelled, restack: restack };
  }
})();
