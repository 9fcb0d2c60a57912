// Live timeline of the incident room: new entries arrive by Server-Sent Events as HTML fragments
// rendered by the server, followed by the room's header (status, level, commander, ETA …) again.
// Without JavaScript the page still works; reloading shows the same.
(function () {
  "use strict";
  var list = document.getElementById("timeline");
  if (!list || !window.EventSource) { return; }
  var last = list.querySelector("li.entry:last-of-type");
  var after = last ? last.getAttribute("data-id") : "0";
  var source = new EventSource(list.getAttribute("data-events") + "?after=" + after);
  source.addEventListener("entry", function (message) {
    if (document.getElementById("entry-" + message.lastEventId)) { return; }
    var holder = document.createElement("ul");
    holder.innerHTML = message.data;
    var item = holder.firstElementChild;
    if (item) { item.classList.add("fresh"); list.appendChild(item); }
  });
  source.addEventListener("head", function (message) {
    var head = document.getElementById("room-head-live");
    if (!head) { return; }
    head.innerHTML = message.data;
    var title = head.querySelector("[data-level]");
    var section = head.closest("section");
    if (title && section) { section.className = "card room-head level-" + title.getAttribute("data-level"); }
    // Actions that only fit one status (Acknowledge while triggered) go away when it changes.
    var status = title ? title.getAttribute("data-status") : null;
    document.querySelectorAll("[data-shown-when]").forEach(function (form) {
      form.hidden = status !== null && form.getAttribute("data-shown-when") !== status;
    });
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
