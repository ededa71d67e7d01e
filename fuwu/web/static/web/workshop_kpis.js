// The workshop's KPIs: booked, sold and idle hours (bars) and the appointment and carry-over
// rates (lines, with the seed's guides dashed) per day, drawn with the vendored ECharts from the
// JSON the page carries. A click on a day scrolls to its row in the table.
(function () {
  "use strict";

  function draw() {
    var el = document.getElementById("kpi-chart");
    var source = document.getElementById("kpi-data");
    if (!el || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var n = data.names;
    var phone = window.matchMedia("(max-width: 576px)").matches;
    var chart = window.fuwuChart(el);  // charts.js
    function guide(value) {
      return { silent: true, symbol: "none", lineStyle: { type: "dashed" }, label: { show: false },
        data: [{ yAxis: value }] };
    }
    chart.setOption({
      color: ["#0d6efd", "#198754", "#adb5bd", "#6f42c1", "#dc3545"],
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "plain", itemGap: phone ? 6 : 10,
        data: [n.booked, n.sold, n.idle, n.appointment_rate, n.carry_over_rate] },
      grid: { left: 8, right: 8, top: phone ? 72 : 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisTick: { alignWithLabel: true },
        axisLabel: { hideOverlap: true } },
      yAxis: [
        { type: "value", name: n.hours, minInterval: 1 },
        { type: "value", name: "%", min: 0, max: 100, splitLine: { show: false } },
      ],
      series: [
        { name: n.booked, type: "bar", data: data.booked, barMaxWidth: 14 },
        { name: n.sold, type: "bar", data: data.sold, barMaxWidth: 14 },
        { name: n.idle, type: "bar", data: data.idle, barMaxWidth: 14 },
        { name: n.appointment_rate, type: "line", yAxisIndex: 1, data: data.appointment_rate,
          connectNulls: false, symbolSize: 6, markLine: guide(data.guide.appointment_rate) },
        { name: n.carry_over_rate, type: "line", yAxisIndex: 1, data: data.carry_over_rate,
          connectNulls: false, symbolSize: 6, markLine: guide(data.guide.carry_over_rate) },
      ],
    });
    chart.on("click", function (event) {
      var row = document.querySelector('[data-testid="kpi-day-' + data.days[event.dataIndex] + '"]');
      if (row) row.scrollIntoView({ behavior: "smooth", block: "center" });
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
