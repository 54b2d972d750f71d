/* The check report's print button (an external script: the page's CSP allows no inline code). */
(function () {
  "use strict";
  var button = document.getElementById("gs-print");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
})();
