/* The check page's choice of coordinate system for the GeoPackage and Shapefile downloads:
 * adds crs= to those links (the service's offered CRSs, listed by the page), or leaves it off
 * for the parcels' own CRS. Other formats have fixed coordinates and never get crs=. */
(function () {
  "use strict";
  var select = document.getElementById("gs-export-crs");
  var downloads = document.getElementById("gs-downloads");
  if (!select || !downloads) { return; }
  /* the formats that take crs= (geo_service/formats.py, written into the page) */
  var takesCrs = (select.getAttribute("data-formats") || "").split(" ").filter(Boolean);

  function withCrs(href) {
    var url = new URL(href, window.location.href);
    if (takesCrs.indexOf(url.searchParams.get("f") || "") < 0) { return href; }
    if (select.value) { url.searchParams.set("crs", select.value); } else { url.searchParams.delete("crs"); }
    return url.toString();
  }

  function update() {
    Array.prototype.forEach.call(downloads.querySelectorAll("a"), function (a) { a.href = withCrs(a.href); });
  }

  select.addEventListener("change", update);
  /* links are drawn anew for every check: set crs= on the one clicked, before it is followed */
  downloads.addEventListener("click", function (event) {
    var a = event.target.closest ? event.target.closest("a") : null;
    if (a) { a.href = withCrs(a.href); }
  }, true);
  new MutationObserver(update).observe(downloads, { childList: true });
}());
