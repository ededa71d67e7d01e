// The quality and workload reports' charts (ECharts, vendored), from the JSON each page
// carries: complaints per month (quality) and intake per hour by channel (workload). A click on a
// bar opens the cases behind it.
(function () {
  "use strict";

  function chartOn(id) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    var chart = window.fuwuChart(el);  // charts.js
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  function grid(phone) {
    return { left: 8, right: 12, top: phone ? 48 : 36, bottom: 8, containLabel: true };
  }

  function quality(data, phone) {
    var chart = chartOn("quality-chart");
    if (!chart) return;
    chart.setOption({
      color: [data.rising ? "#dc3545" : "#0d6efd"],
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [data.name] },
      grid: grid(phone),
      xAxis: { type: "category", data: data.labels, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: data.name, type: "bar", data: data.counts, barMaxWidth: 24 }],
    });
    chart.on("click", function (event) {
      var url = data.urls[event.dataIndex];
      if (url) window.location.href = url;
    });
    window.fuwuReportChart = chart;
  }

  function workload(data, phone) {
    var chart = chartOn("workload-chart");
    if (!chart) return;
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: data.series.map(function (s) { return s.name; }) },
      grid: grid(phone),
      xAxis: { type: "category", data: data.hours, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "intake", data: s.data, barMaxWidth: 18 };
      }),
    });
    chart.on("click", function (event) {
      var series = data.series[event.seriesIndex];
      if (!series) return;
      window.location.href = data.drill + "&channel=" + encodeURIComponent(series.key) +
        "&hour=" + event.dataIndex;
    });
    window.fuwuReportChart = chart;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var phone = window.matchMedia("(max-width: 576px)").matches;
    var q = document.getElementById("quality-data");
    var w = document.getElementById("workload-data");
    if (q) quality(JSON.parse(q.textContent), phone);
    if (w) workload(JSON.parse(w.textContent), phone);
  });
})();
