// The incident room's reporting deadlines count down between reloads: every [data-countdown]
// element shows the minutes left until its data-due time (or "overdue"), in the page's language.
(function () {
  "use strict";
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (node) {
      var left = Math.floor((Date.parse(node.getAttribute("data-due")) - Date.now()) / 60000);
      node.textContent = left >= 0
        ? node.getAttribute("data-left").replace("{minutes}", String(left))
        : node.getAttribute("data-overdue");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 15000); });
})();
