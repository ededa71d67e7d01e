// A survey round's mean score per area, beside the previous round's (ECharts, vendored), from
// the JSON the page carries.
(function () {
  "use strict";

  function draw() {
    var el = document.getElementById("survey-chart");
    var source = document.getElementById("survey-data");
    if (!el || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var series = [{ name: data.names.mean, type: "bar", data: data.mean, barMaxWidth: 22,
                    label: { show: true, position: "top" } }];
    if (data.previous) {
      series.push({ name: data.names.previous, type: "bar", data: data.previous, barMaxWidth: 22 });
    }
    var chart = window.fuwuChart(el);  // charts.js
    chart.setOption({
      color: ["#0d6efd", "#adb5bd"],
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 12, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.areas, axisLabel: { interval: 0, hideOverlap: false, rotate: el.clientWidth < 500 ? 40 : 0 } },
      yAxis: { type: "value", min: 0, max: 5, interval: 1 },
      series: series,
    });
    window.addEventListener("resize", function () { chart.resize(); });
    distribution(data);
  }

  function distribution(data) {
    var el = document.getElementById("survey-distribution");
    if (!el || !data.questions.length) return;
    var chart = window.fuwuChart(el);  // charts.js
    chart.setOption({
      color: ["#dc3545", "#fd7e14", "#ffc107", "#20c997", "#198754"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category", inverse: true, data: data.questions,
        axisLabel: { width: el.clientWidth < 500 ? 120 : 260, overflow: "truncate" },
      },
      series: data.scores.map(function (score, i) {
        return { name: score, type: "bar", stack: "all", data: data.counts[i], barMaxWidth: 18 };
      }),
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
