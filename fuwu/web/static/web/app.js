// Fuwu page behaviour shared by every page: live countdowns on deadlines (again after htmx
// swaps), selects that submit their form, live-search forms, unread counts. The pages carry no
// inline script (the Content-Security-Policy forbids it): behaviour hangs on data- attributes.
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

  function tick() {
    var lang = document.body.dataset.lang === "en" ? "en" : "zh-hans", w = WORDS[lang];
    var now = Date.now();
    document.querySelectorAll("time.deadline[data-due]").forEach(function (el) {
      var due = Date.parse(el.dataset.due); if (isNaN(due)) return;
      var start = el.dataset.start ? Date.parse(el.dataset.start) : NaN;
      var left = (due - now) / 1000, state;
      if (left < 0) { state = "late"; el.textContent = w.late + span(left, w); }
      else {
        var windowS = !isNaN(start) && start < due ? (due - start) / 1000 : 0;
        var threshold = windowS ? Math.max(RISK_FLOOR, RISK_SHARE * windowS) : RISK_FLOOR;
        state = left <= threshold ? "risk" : "ok";
        el.textContent = lang === "en" ? span(left, w) + " left" : w.left + span(left, w);
      }
      el.classList.remove("deadline-ok", "deadline-risk", "deadline-late");
      el.classList.add("deadline-" + state);
    });
  }
  // <select data-autosubmit>: choosing an option submits its form (a site switcher).
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });

  // <form data-live-search>: htmx searches as one types, so Enter must not reload the page;
  // without htmx the form submits as a plain GET.
  document.addEventListener("submit", function (e) {
    if (window.htmx && e.target instanceof HTMLFormElement && e.target.hasAttribute("data-live-search")) {
      e.preventDefault();
    }
  });

  // After "mark read" (HX-Trigger fuwu:unread): every unread badge shows the new count.
  document.addEventListener("fuwu:unread", function (e) {
    var n = e.detail.count;
    document.querySelectorAll(".unread-count").forEach(function (el) {
      el.textContent = n; el.classList.toggle("d-none", !n);
    });
    document.querySelectorAll("[data-testid=unread-total]").forEach(function (el) { el.textContent = n; });
  });

  // The menu's search box ([data-menu-search]): Escape or a click elsewhere closes its results;
  // ArrowDown moves into them. Enter submits the form: the results page.
  document.addEventListener("keydown", function (e) {
    var form = e.target instanceof Element && e.target.closest("[data-menu-search]");
    if (!form) return;
    var box = form.querySelector(".menu-search-results");
    if (e.key === "Escape") { box.innerHTML = ""; form.querySelector("input").focus(); }
    else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      var links = Array.prototype.slice.call(box.querySelectorAll("a"));
      if (!links.length) return;
      var i = links.indexOf(document.activeElement);
      i = e.key === "ArrowDown" ? Math.min(i + 1, links.length - 1) : i - 1;
      e.preventDefault();
      (i < 0 ? form.querySelector("input") : links[i]).focus();
    }
  });
  document.addEventListener("click", function (e) {
    document.querySelectorAll("[data-menu-search]").forEach(function (form) {
      if (!form.contains(e.target)) form.querySelector(".menu-search-results").innerHTML = "";
    });
  });

  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 30000);
  window.fuwuTick = tick;
})();
