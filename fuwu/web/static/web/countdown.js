// Live countdowns on deadlines (<time class="deadline" data-due data-start>, rendered by the
// `deadline` template tag), again after every htmx swap. A short clock (data-seconds, a window of
// an hour at most: the hot-pot's "seat within 60 s") reads mm:ss and ticks every second, red and
// counting the overdue seconds after zero; longer clocks keep minutes, hours and days. The
// colours follow the server's rule (fuwu.sla.lateness.near): at risk in the last fifth of the
// window, or the last hour when the window is longer than an hour (or its start unknown). No
// inline script: the CSP forbids it.
(function () {
  "use strict";
  var WORDS = {
    "zh-hans": { left: "剩余 ", late: "已超时 ", d: "天", h: "小时", m: "分" },
    en: { left: "", late: "overdue ", d: "d ", h: "h ", m: "min" },
  };
  var RISK_SHARE = 0.2, RISK_FLOOR = 3600;

  function span(seconds, w) {
    seconds = Math.abs(Math.floor(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600),
        m = Math.floor((seconds % 3600) / 60);
    if (d) return d + w.d + h + w.h.trim();
    if (h) return h + w.h + m + w.m;
    return m + w.m;
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  // 00:45, 12:05, 1:02:03 — whole seconds cut towards the deadline, as fuwu.web.timeleft.clock.
  function clock(seconds) {
    var s = seconds > 0 ? Math.ceil(seconds) : Math.floor(-seconds);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(sec);
  }

  function tick() {
    var lang = document.body.dataset.lang === "en" ? "en" : "zh-hans", w = WORDS[lang];
    var now = Date.now();
    document.querySelectorAll("time.deadline[data-due]").forEach(function (el) {
      var due = Date.parse(el.dataset.due); if (isNaN(due)) return;
      var start = el.dataset.start ? Date.parse(el.dataset.start) : NaN;
      var left = (due - now) / 1000, state, shown;
      shown = el.hasAttribute("data-seconds") ? clock(left) : span(left, w);
      if (left < 0) { state = "late"; el.textContent = w.late + shown; }
      else {
        var windowS = !isNaN(start) && start < due ? (due - start) / 1000 : 0;
        var threshold = !windowS ? RISK_FLOOR
          : windowS > RISK_FLOOR ? Math.max(RISK_FLOOR, RISK_SHARE * windowS) : RISK_SHARE * windowS;
        state = left <= threshold ? "risk" : "ok";
        el.textContent = lang === "en" ? shown + " left" : w.left + shown;
      }
      el.classList.remove("deadline-ok", "deadline-risk", "deadline-late");
      el.classList.add("deadline-" + state);
    });
  }

  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  // Every second while a short clock is on the page; otherwise twice a minute is enough.
  var last = 0;
  setInterval(function () {
    var now = Date.now();
    if (document.querySelector("time.deadline[data-seconds]") || now - last >= 30000) {
      last = now;
      tick();
    }
  }, 1000);
  window.fuwuTick = tick;
})();
