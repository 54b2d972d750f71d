/* The check page's 官方边界文件 part: the zone file's fields (zones_crs, zones_id_field,
 * zones_name_field, zones_fields) are offered once a zones file is chosen, and cleared with it;
 * describe() words which id/name fields a result used, for the summary.
 * Exposed as window.GS_CHECK_ZONES (check.js reads it). */
(function () {
  "use strict";
  var input = document.getElementById("gs-zones");
  var options = document.getElementById("gs-zones-options");
  function chosen() { return !!(input.files && input.files.length); }
  function toggle() {
    options.hidden = !chosen();
    if (options.hidden) {  /* fields of a file no longer chosen are not sent */
      Array.prototype.forEach.call(options.querySelectorAll("input"), function (el) { el.value = ""; });
    }
  }
  input.addEventListener("change", toggle);
  toggle();

  /* "编号 KFQDM（自动识别），名称 区名（指定）；随结果带出：批准文号、面积" from the result's zones
   * and the parameters asked; null for the service's own zones layer. */
  function describe(check) {
    var zones = check.zones || {};
    if (zones.source === "layer:zones") { return null; }
    var asked = check.parameters || {};
    function how(field, given, none) {
      if (!field) { return none; }
      return field + (given ? "（指定）" : "（自动识别）");
    }
    var words = "编号 " + how(zones.id_field, asked.zones_id_field, "无（按要素顺序编号）") +
      "，名称 " + how(zones.name_field, asked.zones_name_field, "无（以编号为名称）");
    if (zones.fields && zones.fields.length) { words += "；随结果带出：" + zones.fields.join("、"); }
    return words;
  }
  window.GS_CHECK_ZONES = { describe: describe, toggle: toggle };
})();
