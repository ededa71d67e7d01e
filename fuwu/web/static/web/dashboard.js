// The managers' dashboard: the 30-day trend chart
// (ECharts, vendored) is drawn from the JSON the page carries; a click on a day opens the
// queue with that day's cases.
(function () {
  "use strict";

  function queueUrl(data, params) {
    var query = new URLSearchParams(data.scope);
    Object.keys(params).forEach(function (k) { query.set(k, params[k]); });
    return data.queue + "?" + query.toString();
  }

  function drawTrend() {
    var el = document.getElementById("trend-chart");
    var source = document.getElementById("trend-data");
    if (!el || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var phone = window.matchMedia("(max-width: 576px)").matches;
    var chart = window.fuwuChart(el);  // charts.js
    chart.setOption({
      color: ["#0d6efd", "#198754"],
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [data.names.opened, data.names.resolved] },
      grid: { left: 8, right: 12, top: 36, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: data.labels,
        axisTick: { alignWithLabel: true },
        axisLabel: { interval: phone ? 6 : 2 },
      },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: data.names.opened, type: "bar", data: data.opened, barMaxWidth: 18 },
        {
          name: data.names.resolved, type: "line", data: data.resolved,
          symbolSize: 7,
        },
      ],
    });
    chart.on("click", function (event) {
      var day = data.days[event.dataIndex];
      if (!day) return;
      var params = event.seriesIndex === 0
        ? { created_from: day, created_to: day }
        : { resolved_from: day, resolved_to: day };
      window.location.href = queueUrl(data, params);
    });
    window.addEventListener("resize", function () { chart.resize(); });
    window.fuwuTrendChart = chart;
  }

  document.addEventListener("DOMContentLoaded", drawTrend);
})();
