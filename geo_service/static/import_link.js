/* Shows the 导入边界 link (hidden in the cached page) to planners and admins: the page is the
 * same for everyone, the role comes from /api/me. Offline (no server) it stays hidden. */
(function () {
  "use strict";
  var links = document.querySelectorAll("[data-gs-import]");
  if (!links.length || !window.fetch || window.GS_OFFLINE || location.protocol === "file:") { return; }
  fetch(links[0].getAttribute("data-gs-me"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : {}; })
    .then(function (me) {
      if (me.role === "planner" || me.role === "admin") {
        Array.prototype.forEach.call(links, function (el) { el.hidden = false; });
      }
    })
    .catch(function () { /* offline map file: no link */ });
})();
