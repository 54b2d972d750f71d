// The versions page's compare form: "→ version b" sets the form's address (/versions/b).
(function () {
  "use strict";
  var form = document.getElementById("gs-compare");
  var number = document.getElementById("gs-number");
  if (!form || !number) return;
  function aim() {
    form.action = number.dataset.base + "/" + encodeURIComponent(number.value);
  }
  number.addEventListener("change", aim);
  aim();
})();
