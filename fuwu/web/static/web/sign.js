// The signing page (web/document_sign.html): a signature_pad on the canvas, sized to the
// screen (sharp on high-density phones), sent as a PNG data URL in the form's hidden field.
(function () {
  "use strict";
  const wrap = document.querySelector("[data-sign-pad]");
  if (!wrap || typeof SignaturePad === "undefined") return;
  const canvas = wrap.querySelector("canvas");
  const form = wrap.closest("form");
  const field = form.querySelector('input[name="signature"]');
  const feedback = wrap.querySelector("[data-sign-feedback]");
  const pad = new SignaturePad(canvas, { penColor: "#14145a", minWidth: 1, maxWidth: 3 });

  function resize() {
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const strokes = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    pad.fromData(strokes);
  }
  window.addEventListener("resize", resize);
  resize();

  pad.addEventListener("beginStroke", function () {
    canvas.classList.remove("is-invalid");
    feedback.classList.remove("d-block");
  });
  form.querySelector("[data-sign-clear]").addEventListener("click", function () {
    pad.clear();
    field.value = "";
  });
  form.addEventListener("submit", function (event) {
    if (pad.isEmpty()) {
      event.preventDefault();
      feedback.textContent = wrap.dataset.emptyText;
      feedback.classList.add("d-block");
      canvas.classList.add("is-invalid");
      return;
    }
    field.value = pad.toDataURL("image/png");
  });
})();
