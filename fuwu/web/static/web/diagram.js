// Procedure diagrams: Mermaid (vendored) draws the flowchart text carried in an element's
// data-diagram attribute into an SVG. Used by the procedure page and the case page; drawn
// again after htmx swaps. Diagrams are drawn one at a time (Mermaid's renderer is shared).
(function () {
  "use strict";
  var count = 0, queue = Promise.resolve();

  // On a narrow screen a wide diagram shrunk to fit is unreadable: show it up to twice the
  // box's width (never above its own size), scrolling sideways, centred on the start.
  function widen(el) {
    var svg = el.querySelector("svg"), box = el.clientWidth;
    var natural = svg && svg.viewBox && svg.viewBox.baseVal ? svg.viewBox.baseVal.width : 0;
    if (!natural || natural <= box * 1.1 || box > 576) return;
    svg.style.maxWidth = "none";
    svg.style.width = Math.min(natural, box * 2) + "px";
    el.scrollLeft = (el.scrollWidth - el.clientWidth) / 2;
  }

  function drawOne(el) {
    el.dataset.drawn = "pending";
    var id = "fuwu-diagram-" + (++count);
    return window.mermaid.render(id, el.dataset.diagram).then(function (out) {
      el.innerHTML = out.svg;
      if (out.bindFunctions) out.bindFunctions(el);
      widen(el);
      el.dataset.drawn = "true";
    }).catch(function (err) {
      el.dataset.drawn = "error";
      var pre = document.createElement("pre");
      pre.className = "small text-start";
      pre.textContent = el.dataset.diagram;
      el.replaceChildren(document.createTextNode(el.dataset.error || String(err)), pre);
    });
  }

  function draw(root) {
    if (!window.mermaid) return;
    (root || document).querySelectorAll("[data-diagram]:not([data-drawn])").forEach(function (el) {
      queue = queue.then(function () { return drawOne(el); });
    });
  }

  if (window.mermaid) {
    window.mermaid.initialize({
      startOnLoad: false,
      securityLevel: "strict",
      theme: "default",
      fontFamily: getComputedStyle(document.body).fontFamily,
      // Wide gaps between steps and between ranks: a step with several labelled moves (the
      // largest procedures have 28) otherwise gets its move labels drawn on top of each other.
      flowchart: {
        useMaxWidth: true,
        htmlLabels: false,
        nodeSpacing: 70,
        rankSpacing: 90,
        padding: 12,
        wrappingWidth: 150,
      },
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
  window.fuwuDrawDiagrams = draw;
})();
