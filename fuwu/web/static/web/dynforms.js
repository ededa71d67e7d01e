// Generated forms (fuwu/web/dynforms.py): numbers with an accepted range are checked as you
// type — out of range turns red and shows the range; the server checks again on submit.
(function () {
  "use strict";
  function check(el) {
    // A cell of a line-item table is checked on its own (its row, its message).
    var box = el.closest(".dyncell") || el.closest(".dynfield");
    var warn = box ? box.querySelector(".range-feedback") : null;
    var raw = el.value.trim();
    var bad = false;
    if (el.validity && el.validity.badInput) bad = true;
    else if (raw !== "") {
      var n = Number(raw);
      bad = !isFinite(n) ||
        (el.dataset.min !== undefined && n < Number(el.dataset.min)) ||
        (el.dataset.max !== undefined && n > Number(el.dataset.max));
    }
    var empty = raw === "" && !(el.validity && el.validity.badInput);
    el.classList.toggle("is-invalid", bad);
    // A table's cells are not ticked green one by one: only what is wrong stands out there.
    el.classList.toggle("is-valid", !bad && !empty && !el.closest(".dyncell"));
    if (box) box.classList.toggle("out-of-range", bad);
    // The server's message, when there is one, says it already; it goes once the value changes.
    var told = box && box.querySelector(".server-error");
    if (warn) warn.classList.toggle("d-block", bad && !told);
  }
  function checkAll(root) {
    (root || document).querySelectorAll("input[data-min], input[data-max]").forEach(function (el) {
      if (el.value !== "" || (el.validity && el.validity.badInput)) check(el);
    });
  }
  document.addEventListener("input", function (e) {
    var el = e.target, box = el.closest && (el.closest(".dyncell") || el.closest(".dynfield"));
    if (box) {  // edited: the server's verdict on the old value no longer applies
      box.querySelectorAll(".server-error").forEach(function (n) { n.remove(); });
      box.classList.remove("has-error");
      var group = box.querySelector(".choice-group.is-invalid");
      if (group) group.classList.remove("is-invalid");
      if (!el.matches("input[data-min], input[data-max]")) el.classList.remove("is-invalid");
    }
    if (el.matches && el.matches("input[data-min], input[data-max]")) check(el);
  });
  document.addEventListener("change", function (e) {
    if (e.target.type === "radio") e.target.dispatchEvent(new Event("input", { bubbles: true }));
  });
  document.addEventListener("DOMContentLoaded", function () { checkAll(); });
  document.addEventListener("htmx:afterSwap", function (e) { checkAll(e.target); });
  window.fuwuCheckRanges = checkAll;
})();

// A person picker's search box lives inside the step form: Enter narrows the list (htmx), it
// must not submit the form (which would take the first move).
document.addEventListener("keydown", function (e) {
  if (e.key === "Enter" && e.target instanceof HTMLElement && e.target.classList.contains("person-search")) {
    e.preventDefault();
  }
});
