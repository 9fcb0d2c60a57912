// Live timeline of the incident room: new entries arrive by Server-Sent Events as HTML fragments
// rendered by the server. Without JavaScript the page still works; reloading shows the same list.
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
  window.addEventListener("pagehide", function () { source.close(); });
})();
