// The production board: the timeline scrolls sideways on a narrow screen. Open it at the
// current time, and keep where the person scrolled to when the poll swaps the board.
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
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", toNow);
  } else {
    toNow();
  }
})();
