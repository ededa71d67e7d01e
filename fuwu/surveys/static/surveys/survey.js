// Shows a conditional question only while the question it depends on has one of the listed
// answers (data-show-if / data-show-values). The server checks the same rule on submit and drops
// the answers of hidden questions, so this only keeps the page tidy.
(function () {
  "use strict";

  function answer(form, key) {
    var checked = form.querySelector('input[name="q-' + key + '"]:checked');
    return checked ? checked.value.toLowerCase() : "";
  }

  function update(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (el) {
      var source = form.querySelector('[data-question="' + el.dataset.showIf + '"]');
      var sourceShown = source && !source.classList.contains("d-none");
      var values = el.dataset.showValues.split(",");
      var show = sourceShown && values.indexOf(answer(form, el.dataset.showIf)) >= 0;
      el.classList.toggle("d-none", !show);
      el.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.disabled = !show;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-survey]").forEach(function (form) {
      update(form);
      form.addEventListener("change", function () { update(form); });
    });
  });
})();
