// The production board: the timeline scrolls sideways on a narrow screen. Open it at the
// current time, and keep where the person scrolled to when the poll swaps the board.
// A dispatcher drags a job (a bar, or a waiting card) onto a technician's timeline: the drop's
// technician and time (to 5 minutes, from where the bar's left edge lands) fill the board's
// "plan elsewhere" form, which is posted as when typed (the same action, its refusals: no
// skill, busy, off shift). The form stays for the keyboard and for phones.
(function () {
  "use strict";
  var kept = null;
  function scroller() { return document.querySelector("#board .board-scroll"); }
  function toNow() {
    var box = scroller(), line = box && box.querySelector(".board-now");
    if (box && line && box.scrollWidth > box.clientWidth) {
      var x = line.getBoundingClientRect().left - box.getBoundingClientRect().left + box.scrollLeft;
      box.scrollLeft = Math.max(0, x - box.clientWidth / 2);
    }
  }
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "board") {
      var box = scroller();
      kept = box ? box.scrollLeft : null;
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    var box = scroller();
    if (box && kept !== null) { box.scrollLeft = kept; kept = null; }
  });
  var dragging = null;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function dropTime(grid, track, x) {
    var from = (grid.dataset.dragFrom || "").split(":"), total = Number(grid.dataset.dragMinutes);
    var box = track.getBoundingClientRect();
    if (from.length !== 2 || !total || !box.width) { return null; }
    var share = Math.min(1, Math.max(0, (x - box.left) / box.width));
    var minutes = Number(from[0]) * 60 + Number(from[1]) + Math.round((share * total) / 5) * 5;
    return pad(Math.floor(minutes / 60) % 24) + ":" + pad(minutes % 60);
  }
  document.addEventListener("dragstart", function (e) {
    var item = e.target.closest && e.target.closest("[data-drag-job]");
    if (!item) { return; }
    var bar = item.classList.contains("board-bar");
    dragging = { job: item.dataset.dragJob, offset: bar ? e.clientX - item.getBoundingClientRect().left : 0 };
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", dragging.job);
    item.classList.add("board-dragging");
  });
  document.addEventListener("dragend", function (e) {
    var item = e.target.closest && e.target.closest("[data-drag-job]");
    if (item) { item.classList.remove("board-dragging"); }
    document.querySelectorAll(".board-drop").forEach(function (t) { t.classList.remove("board-drop"); });
    dragging = null;
  });
  document.addEventListener("dragover", function (e) {
    var track = dragging && e.target.closest && e.target.closest("[data-drop-tech]");
    if (!track) { return; }
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    track.classList.add("board-drop");
  });
  document.addEventListener("dragleave", function (e) {
    var track = e.target.closest && e.target.closest("[data-drop-tech]");
    if (track && !track.contains(e.relatedTarget)) { track.classList.remove("board-drop"); }
  });
  document.addEventListener("drop", function (e) {
    var track = dragging && e.target.closest && e.target.closest("[data-drop-tech]");
    var grid = track && track.closest("[data-drag-minutes]");
    var form = document.getElementById("move-form");
    if (!track || !grid || !form) { return; }
    e.preventDefault();
    var job = form.querySelector("#move-job"), tech = form.querySelector("#move-tech");
    var at = dropTime(grid, track, e.clientX - dragging.offset);
    if (!at || !job.querySelector('option[value="' + dragging.job + '"]') ||
        !tech.querySelector('option[value="' + track.dataset.dropTech + '"]')) { return; }
    job.value = dragging.job;
    tech.value = track.dataset.dropTech;
    form.querySelector("#move-time").value = at;
    dragging = null;
    form.requestSubmit();
  });
  // No poll swaps the board from under a job being dragged.
  document.addEventListener("htmx:beforeRequest", function (e) {
    if (dragging && e.detail.elt && e.detail.elt.id === "board") { e.preventDefault(); }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", toNow);
  } else {
    toNow();
  }
})();
