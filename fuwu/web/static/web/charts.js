// What every chart of the staff pages does the same way (load after the vendored ECharts):
// `window.fuwuChart(el)` starts a canvas chart in `el`, drawn without animation for people who
// ask their system for less motion, and marks `el` with data-drawn="true" once first drawn
// (screenshots and tests wait for it). The mark is listened for before the caller sets its
// options, since without animation the drawing finishes at once.
(function () {
  "use strict";

  window.fuwuChart = function (el) {
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      chart.setOption({ animation: false });
    }
    chart.on("finished", function () { el.dataset.drawn = "true"; });
    return chart;
  };
})();
