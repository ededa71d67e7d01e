// The seeds' lists: the print button, and the chart of the fee statistics (collection rate by
// building), of the fee reports (amounts per day or week by kind of fee) or of the survey tally
// (return rate and problems per area), drawn with the
// vendored ECharts from the JSON the page carries; a click on a bar opens what it counts.
(function () {
  "use strict";

  function rateChart(chart, data, phone) {
    chart.setOption({
      color: ["#198754", "#dc3545", "#0d6efd"],
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [data.names.received, data.names.outstanding, data.names.rate] },
      grid: { left: 8, right: 12, top: phone ? 48 : 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisLabel: { hideOverlap: true } },
      yAxis: [
        { type: "value" },
        { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      ],
      series: [
        { name: data.names.received, type: "bar", stack: "due", data: data.received, barMaxWidth: 28 },
        { name: data.names.outstanding, type: "bar", stack: "due", data: data.outstanding, barMaxWidth: 28 },
        { name: data.names.rate, type: "line", yAxisIndex: 1, data: data.rates },
      ],
    });
    chart.on("click", function (event) {
      var url = data.links[event.dataIndex];
      if (url) window.location.href = url;
    });
  }

  function feeChart(chart, data, phone) {
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: data.names },
      grid: { left: 8, right: 12, top: phone ? 48 : 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisTick: { alignWithLabel: true }, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value" },
      series: data.series.map(function (values, i) {
        return { name: data.names[i], type: "bar", stack: "fees", data: values, barMaxWidth: 24 };
      }),
    });
    chart.on("click", function (event) {
      var links = data.links[event.seriesIndex];
      var url = links && links[event.dataIndex];
      if (url) window.location.href = url;
    });
  }

  function surveyChart(chart, data, phone) {
    chart.setOption({
      color: ["#0d6efd", "#dc3545"],
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [data.names.rate, data.names.problems] },
      grid: { left: 8, right: 12, top: phone ? 48 : 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisLabel: { hideOverlap: true } },
      yAxis: [
        { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        { type: "value", minInterval: 1 },
      ],
      series: [
        { name: data.names.rate, type: "bar", data: data.rates, barMaxWidth: 28 },
        { name: data.names.problems, type: "line", yAxisIndex: 1, data: data.problems },
      ],
    });
    chart.on("click", function (event) {
      var url = data.links[event.dataIndex];
      if (url) window.location.href = url;
    });
  }

  function draw() {
    var el = document.getElementById("list-chart");
    var source = document.getElementById("list-data");
    if (!el || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var phone = window.matchMedia("(max-width: 576px)").matches;
    var chart = window.fuwuChart(el);  // charts.js
    if (el.dataset.chart === "rate") rateChart(chart, data, phone);
    else if (el.dataset.chart === "survey") surveyChart(chart, data, phone);
    else feeChart(chart, data, phone);
    window.addEventListener("resize", function () { chart.resize(); });
    window.fuwuListChart = chart;
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw();
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
