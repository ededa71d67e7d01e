// The intake desk. Its forms answer 400 with the form again (errors marked): htmx swaps that
// answer in like a 200 instead of dropping it.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr.status === 400 && e.detail.elt.closest("[data-intake]")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
})();
