// The case page: draw the procedure diagram (vendored Mermaid) and let htmx swap refusals too.
(function () {
  "use strict";
  if (window.htmx) {
    // A refused form (400 bad input, 403 not allowed, 409 changed meanwhile) comes back as the
    // re-rendered case body with the message: swap it in like a success.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "40[0139]", swap: true, error: false },
      { code: "...", swap: false, error: true },
    ];
  }
  if (window.mermaid) {
    mermaid.initialize({ startOnLoad: true, securityLevel: "strict", theme: "neutral",
                         flowchart: { useMaxWidth: true, htmlLabels: false } });
  }
  document.addEventListener("htmx:afterSwap", function () {
    if (window.mermaid) mermaid.run({ querySelector: ".mermaid:not([data-processed])" });
    // Show what the answer says: the first field error, else the message at the top.
    var body = document.getElementById("case-body");
    if (!body) return;
    var spot = body.querySelector(".server-error") || body.querySelector("[role=alert]");
    if (spot) {
      var box = spot.closest(".dynfield") || spot;
      box.scrollIntoView({ block: "center" });
    }
  });
})();
