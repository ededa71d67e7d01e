// The case page opened from the intake desk's duplicate warning ("add to it instead"): the
// link ends in #act-comment, so open the comment panel and put the cursor in its text box
// once the panel has finished opening (scrolling earlier lands on a moving target).
(function () {
  "use strict";
  function openComment() {
    if (window.location.hash !== "#act-comment") return;
    var panel = document.getElementById("act-comment");
    if (!panel || !window.bootstrap) return;
    var ready = function () {
      panel.scrollIntoView({ block: "center", behavior: "instant" });
      var box = panel.querySelector("textarea");
      if (box) box.focus({ preventScroll: true });
    };
    if (panel.classList.contains("show")) {
      ready();
      return;
    }
    panel.addEventListener("shown.bs.collapse", ready, { once: true });
    bootstrap.Collapse.getOrCreateInstance(panel, { toggle: false }).show();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", openComment);
  } else {
    openComment();
  }
})();
