// Fuwu page behaviour shared by every page: selects that submit their form, live-search forms,
// unread counts (the live countdowns on deadlines are countdown.js). The pages carry no
// inline script (the Content-Security-Policy forbids it): behaviour hangs on data- attributes.
(function () {
  "use strict";
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

})();
