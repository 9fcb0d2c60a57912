// The incident room, live: new timeline rows arrive by Server-Sent Events as HTML rendered by the
// server, followed by the header and every panel (forms included) again, so nothing offers what is no
// longer true. A panel someone is typing in is replaced only once they leave it. The timeline can be
// read newest or oldest first (remembered in this browser), filtered and searched. Without
// JavaScript the page still works; reloading shows the same.
(function () {
  "use strict";
  var list = document.getElementById("timeline");
  if (!list) { return; }
  var ORDER_KEY = "eventguard.timeline.order";
  var WAVE_GAP_MS = 2 * 60 * 1000;
  var order = "newest";
  try { order = window.localStorage.getItem(ORDER_KEY) === "oldest" ? "oldest" : "newest"; } catch (e) { /* private mode */ }
  var filter = "all";
  var search = document.getElementById("timeline-search");
  var orderButton = document.getElementById("timeline-order");
  var empty = document.getElementById("timeline-empty");

  function rows() { return Array.prototype.slice.call(list.children); }
  function newestRow() { return order === "newest" ? list.firstElementChild : list.lastElementChild; }

  function applyOrder(wanted) {
    if (list.getAttribute("data-order") !== wanted) {
      rows().reverse().forEach(function (row) { list.appendChild(row); });
      list.setAttribute("data-order", wanted);
    }
    order = wanted;
    if (orderButton) {
      orderButton.textContent = orderButton.getAttribute(wanted === "newest" ? "data-newest" : "data-oldest");
    }
    if (order === "oldest") { list.scrollTop = list.scrollHeight; } else { list.scrollTop = 0; }
  }

  function applyFilter() {
    var query = search ? search.value.trim().toLowerCase() : "";
    var shown = 0;
    rows().forEach(function (row) {
      var kindOk = filter === "all" || row.getAttribute("data-filter") === filter;
      var textOk = !query || row.textContent.toLowerCase().indexOf(query) !== -1;
      row.hidden = !(kindOk && textOk);
      if (!row.hidden) { shown += 1; }
    });
    if (empty) { empty.hidden = shown > 0; }
  }

  document.querySelectorAll("[data-filter-button]").forEach(function (button) {
    button.addEventListener("click", function () {
      filter = button.getAttribute("data-filter-button");
      document.querySelectorAll("[data-filter-button]").forEach(function (other) {
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
      applyFilter();
    });
  });
  if (search) { search.addEventListener("input", applyFilter); }
  if (orderButton) {
    orderButton.addEventListener("click", function () {
      var wanted = order === "newest" ? "oldest" : "newest";
      try { window.localStorage.setItem(ORDER_KEY, wanted); } catch (e) { /* private mode */ }
      applyOrder(wanted);
    });
  }
  applyOrder(order);

  // A notification that follows the newest wave closely joins it (the server renders it alone).
  function joinWave(item) {
    var newest = newestRow();
    if (!newest || !newest.classList.contains("wave") || newest.hidden) { return false; }
    var gap = Date.parse(item.getAttribute("data-at")) - Date.parse(newest.getAttribute("data-at"));
    if (!(gap >= 0 && gap <= WAVE_GAP_MS)) { return false; }
    var into = newest.querySelector(".wave-items");
    item.querySelectorAll(".wave-items > li").forEach(function (li) { into.appendChild(li); });
    var count = into.children.length;
    var ok = into.querySelectorAll("[data-outcome=delivered]").length;
    var bad = into.querySelectorAll("[data-outcome=failed], [data-outcome=sla_breached]").length;
    newest.querySelector(".n-ok").textContent = String(ok);
    newest.querySelector(".n-bad").textContent = String(bad);
    var sum = newest.querySelector(".wave-sum");
    if (sum && sum.firstChild) { sum.firstChild.textContent = sum.firstChild.textContent.replace(/\d+/, String(count)); }
    newest.id = item.id;
    newest.setAttribute("data-id", item.getAttribute("data-id"));
    newest.setAttribute("data-at", item.getAttribute("data-at"));
    newest.classList.add("fresh");
    return true;
  }

  function addRow(item) {
    if (item.classList.contains("wave") && joinWave(item)) { return; }
    item.classList.add("fresh");
    if (order === "newest") { list.insertBefore(item, list.firstElementChild); } else { list.appendChild(item); }
  }

  // Panels: replaced unless someone is typing in them; then once they leave it.
  var pending = {};
  var dirty = {};
  function busy(panel) {
    return panel.contains(document.activeElement) || dirty[panel.id];
  }
  function replacePanel(panel, html) {
    if (busy(panel)) { pending[panel.id] = html; return; }
    delete pending[panel.id];
    var open = Array.prototype.map.call(panel.querySelectorAll("details[open][id], details[open]"), function (d) {
      var owner = d.closest("[id]");
      return owner ? owner.id : null;
    });
    panel.innerHTML = html;
    open.forEach(function (id) {
      var owner = id && document.getElementById(id);
      var details = owner && owner.querySelector("details");
      if (details) { details.open = true; }
    });
  }
  document.querySelectorAll("[data-panel]").forEach(function (panel) {
    panel.addEventListener("input", function () { dirty[panel.id] = true; });
    panel.addEventListener("submit", function () { dirty[panel.id] = false; });
    panel.addEventListener("focusout", function () {
      window.setTimeout(function () {
        if (pending[panel.id] !== undefined && !panel.contains(document.activeElement)) {
          dirty[panel.id] = false;
          replacePanel(panel, pending[panel.id]);
        }
      }, 0);
    });
  });

  // The header's clocks: time since start, and each required role's notify-within countdown.
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function span(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600);
    return (h ? h + ":" : "") + two(Math.floor((s % 3600) / 60)) + ":" + two(s % 60);
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      el.textContent = span(now - Date.parse(el.getAttribute("data-since")));
    });
    var sla = document.getElementById("sla-countdown");
    if (!sla) { return; }
    sla.querySelectorAll("li[data-state=pending]").forEach(function (li) {
      var left = Date.parse(li.getAttribute("data-deadline")) - now;
      var out = li.querySelector(".countdown");
      if (left > 0) {
        out.textContent = sla.getAttribute("data-left").replace("%s", span(left));
      } else {
        out.textContent = sla.getAttribute("data-late");
        li.className = "sla sla-breached";
      }
    });
  }
  tick();
  window.setInterval(tick, 1000);

  if (!window.EventSource) { return; }
  var source = new EventSource(list.getAttribute("data-events") + "?after=" + (list.getAttribute("data-after") || "0"));
  source.addEventListener("entry", function (message) {
    if (document.getElementById("entry-" + message.lastEventId)) { return; }
    var holder = document.createElement("ul");
    holder.innerHTML = message.data;
    var item = holder.firstElementChild;
    if (!item) { return; }
    addRow(item);
    applyFilter();
    if (order === "oldest") { list.scrollTop = list.scrollHeight; }
  });
  source.addEventListener("head", function (message) {
    var head = document.getElementById("room-head-live");
    if (!head) { return; }
    head.innerHTML = message.data;
    var title = head.querySelector("[data-level]");
    var section = head.closest("section");
    if (title && section) { section.className = "card room-head level-" + title.getAttribute("data-level"); }
    tick();
  });
  source.addEventListener("panel", function (message) {
    var holder = document.createElement("div");
    holder.innerHTML = message.data;
    var template = holder.querySelector("template[data-panel]");
    if (!template) { return; }
    var panel = document.getElementById("panel-" + template.getAttribute("data-panel"));
    if (panel) { replacePanel(panel, template.innerHTML); }
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
