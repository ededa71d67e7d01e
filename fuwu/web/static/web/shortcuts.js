/* Keyboard shortcuts of the queue and the case page, and the queue's row selection.
 * Wired by data- attributes only (the Content-Security-Policy allows no inline script).
 * j/k move between rows, x ticks the row, Enter opens it, a goes to "assign", / to the search,
 * ? opens the help (#shortcuts-help). Keys typed into a field are the field's, not shortcuts. */
(function () {
  "use strict";

  var current = -1;

  function typing(el) {
    if (!el || !el.tagName) return false;
    var tag = el.tagName.toLowerCase();
    if (tag === "input") {
      // A ticked box or a button keeps the shortcuts; a field that takes text does not.
      return ["checkbox", "radio", "button", "submit", "reset"].indexOf(el.type) < 0;
    }
    return tag === "textarea" || tag === "select" || el.isContentEditable;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-testid=case-row]"));
  }

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-bulk-row]"));
  }

  function moveTo(index) {
    var all = rows();
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (r) { r.classList.remove("row-current"); r.removeAttribute("aria-current"); });
    var row = all[index];
    row.classList.add("row-current");
    row.setAttribute("aria-current", "true");
    row.scrollIntoView({ block: "nearest" });
    current = index;
  }

  function currentRow() {
    var all = rows();
    return current >= 0 && current < all.length ? all[current] : null;
  }

  function updateCount() {
    var form = document.querySelector("[data-bulk-form]");
    if (!form) return;
    var ticked = boxes().filter(function (b) { return b.checked; }).length;
    var label = form.querySelector("[data-bulk-count]");
    if (label) {
      label.textContent = ticked
        ? label.getAttribute("data-template").replace("{n}", String(ticked))
        : label.getAttribute("data-template-zero");
    }
    form.querySelectorAll("[data-bulk-action]").forEach(function (b) { b.disabled = ticked === 0; });
    var n = boxes().length;
    document.querySelectorAll("[data-bulk-all]").forEach(function (all) {
      all.checked = n > 0 && ticked === n;
      all.indeterminate = ticked > 0 && ticked < n;
    });
    rows().forEach(function (r) {
      var box = r.querySelector("[data-bulk-row]");
      r.classList.toggle("row-selected", !!(box && box.checked));
    });
  }

  function showHelp() {
    var help = document.getElementById("shortcuts-help");
    if (help && window.bootstrap) window.bootstrap.Modal.getOrCreateInstance(help).show();
  }

  function focusSearch() {
    var box = document.querySelector("[data-shortcut-search]") ||
      document.querySelector("#f-q") || document.querySelector("input[type=search]");
    if (box) { box.focus(); if (box.select) box.select(); }
  }

  function goAssign() {
    var bulk = document.getElementById("bulk-assignee");
    if (bulk) { bulk.focus(); return; }
    var panel = document.getElementById("act-assign");
    if (!panel) return;
    if (window.bootstrap) window.bootstrap.Collapse.getOrCreateInstance(panel, { toggle: false }).show();
    var field = panel.querySelector("select, input:not([type=hidden]), button");
    if (field) field.focus();
  }

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches && t.matches("[data-bulk-all]")) {
      boxes().forEach(function (b) { b.checked = t.checked; });
      updateCount();
    } else if (t.matches && t.matches("[data-bulk-row]")) {
      updateCount();
    }
  });

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("[data-bulk-form]")) return;
    // The queue as filtered now (the table may have been refreshed since the page loaded).
    var results = document.getElementById("queue-results");
    var query = form.querySelector("[data-bulk-query]");
    if (results && query) query.value = results.getAttribute("data-query") || "";
  });

  document.addEventListener("click", function (e) {
    var opener = e.target.closest && e.target.closest("[data-shortcuts-open]");
    if (opener) showHelp();
  });

  document.body.addEventListener("htmx:afterSwap", function () { current = -1; updateCount(); });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    if (typing(e.target)) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    if (document.querySelector(".modal.show")) return;  // the help (or another dialog) is open
    var row;
    switch (e.key) {
      case "?":
        showHelp();
        break;
      case "/":
        focusSearch();
        break;
      case "j":
        moveTo(current + 1);
        break;
      case "k":
        moveTo(current < 0 ? 0 : current - 1);
        break;
      case "x":
        row = currentRow();
        var box = row && row.querySelector("[data-bulk-row]");
        if (!box) return;
        box.checked = !box.checked;
        updateCount();
        break;
      case "Enter":
      case "o":
        row = currentRow();
        var link = row && row.querySelector("a[href]");
        if (!link || (e.key === "Enter" && e.target.closest && e.target.closest("a, button"))) return;
        window.location.href = link.href;
        break;
      case "a":
        goAssign();
        break;
      default:
        return;
    }
    e.preventDefault();
  });

  updateCount();
})();
