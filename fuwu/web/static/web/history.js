// The case page opened from the intake desk's duplicate warning ("add to it instead"): the
// link ends in #act-comment, so open the comment panel and put the cursor in its text box.
(function () {
  "use strict";
  function openComment() {
    if (window.location.hash !== "#act-comment") return;
    var panel = document.getElementById("act-comment");
    if (!panel || !window.bootstrap) return;
    bootstrap.Collapse.getOrCreateInstance(panel, { toggle: false }).show();
    panel.scrollIntoView({ block: "center" });
    var box = panel.querySelector("textarea");
    if (box) box.focus({ preventScroll: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", openComment);
  } else {
    openComment();
  }
})();
