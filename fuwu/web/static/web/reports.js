// The service-levels report: each day's on-time and late resolutions and late responses
// (ECharts, vendored) from the JSON the page carries; a click on a bar opens the cases behind it.
(function () {
  "use strict";

  function draw() {
    var el = document.getElementById("report-chart");
    var source = document.getElementById("report-data");
    if (!el || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var phone = window.matchMedia("(max-width: 576px)").matches;
    var keys = ["resolved_on_time", "resolved_late", "responded_late"];
    var chart = window.fuwuChart(el);  // charts.js
    chart.setOption({
      color: ["#198754", "#dc3545", "#fd7e14"],
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: keys.map(function (k) { return data.names[k]; }) },
      grid: { left: 8, right: 12, top: phone ? 48 : 36, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: data.labels,
        axisTick: { alignWithLabel: true },
        axisLabel: { hideOverlap: true },
      },
      yAxis: { type: "value", minInterval: 1 },
      series: keys.map(function (k, i) {
        return {
          name: data.names[k], type: "bar", data: data.series[k], barMaxWidth: 18,
          stack: i < 2 ? "resolved" : undefined,
        };
      }),
    });
    chart.on("click", function (event) {
      var day = data.days[event.dataIndex];
      var measure = keys[event.seriesIndex];
      if (!day || !measure) return;
      window.location.href = data.drill + "&measure=" + measure + "&day=" + day;
    });
    window.addEventListener("resize", function () { chart.resize(); });
    window.fuwuReportChart = chart;
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
