// The photo viewer: a thumbnail link marked data-viewer opens its picture full size over the
// page, with the other pictures of its group ([data-viewer-group]) a click or an arrow key away;
// Esc, the close button or a click beside the picture closes it. Without JavaScript the link
// simply opens the picture. Delegated from the document, so pictures swapped in by htmx work.
(function () {
  "use strict";
  var overlay = null, image = null, caption = null, links = [], index = 0, opener = null;

  function text(name, fallback) {
    var labels = document.getElementById("viewer-text");
    return (labels && labels.dataset[name]) || fallback;
  }

  function button(cls, icon, label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "viewer-btn " + cls;
    b.setAttribute("aria-label", label);
    b.title = label;
    var i = document.createElement("i");
    i.className = "bi " + icon;
    i.setAttribute("aria-hidden", "true");
    b.appendChild(i);
    b.addEventListener("click", function (event) { event.stopPropagation(); onClick(); });
    return b;
  }

  function build() {
    overlay = document.createElement("div");
    overlay.className = "viewer";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", text("title", "Photo"));
    overlay.dataset.testid = "viewer";
    image = document.createElement("img");
    image.className = "viewer-image";
    image.dataset.testid = "viewer-image";
    image.addEventListener("click", function (event) { event.stopPropagation(); });
    caption = document.createElement("div");
    caption.className = "viewer-caption";
    caption.dataset.testid = "viewer-caption";
    var close = button("viewer-close", "bi-x-lg", text("close", "Close"), hide);
    close.dataset.testid = "viewer-close";
    var prev = button("viewer-prev", "bi-chevron-left", text("prev", "Previous"), function () { show(index - 1); });
    prev.dataset.testid = "viewer-prev";
    var next = button("viewer-next", "bi-chevron-right", text("next", "Next"), function () { show(index + 1); });
    next.dataset.testid = "viewer-next";
    overlay.append(image, caption, prev, next, close);
    overlay.addEventListener("click", hide);
    document.body.appendChild(overlay);
  }

  function show(at) {
    index = (at + links.length) % links.length;
    var link = links[index];
    image.src = link.getAttribute("href");
    image.alt = link.getAttribute("title") || "";
    var count = links.length > 1 ? "  " + (index + 1) + " / " + links.length : "";
    caption.textContent = (link.getAttribute("title") || "") + count;
    overlay.classList.toggle("viewer-single", links.length < 2);
  }

  // Over what the person sees: on a phone whose page is wider than the screen (or zoomed in),
  // a fixed box covers the whole layout and its centre would sit off screen.
  function fit() {
    var view = window.visualViewport;
    if (!overlay || overlay.hidden || !view) return;
    overlay.style.left = view.offsetLeft + "px";
    overlay.style.top = view.offsetTop + "px";
    overlay.style.width = view.width + "px";
    overlay.style.height = view.height + "px";
    image.style.maxWidth = Math.max(view.width - 32, 80) + "px";
    image.style.maxHeight = Math.max(view.height - 96, 80) + "px";
  }
  if (window.visualViewport) {
    window.visualViewport.addEventListener("resize", fit);
    window.visualViewport.addEventListener("scroll", fit);
  }

  function open(link) {
    if (!overlay) build();
    var group = link.closest("[data-viewer-group]") || document;
    links = Array.prototype.slice.call(group.querySelectorAll("a[data-viewer]"));
    opener = link;
    show(Math.max(links.indexOf(link), 0));
    overlay.hidden = false;
    fit();
    document.body.classList.add("viewer-open");
    overlay.querySelector(".viewer-close").focus();
  }

  function hide() {
    if (!overlay || overlay.hidden) return;
    overlay.hidden = true;
    image.removeAttribute("src");
    document.body.classList.remove("viewer-open");
    if (opener && document.contains(opener)) opener.focus();
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var link = event.target.closest && event.target.closest("a[data-viewer]");
    if (!link) return;
    event.preventDefault();
    open(link);
  });

  document.addEventListener("keydown", function (event) {
    if (!overlay || overlay.hidden) return;
    if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); hide(); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); show(index - 1); }
    else if (event.key === "ArrowRight") { event.preventDefault(); show(index + 1); }
    else if (event.key === "Tab") {  // keep the focus inside the dialog
      var buttons = Array.prototype.filter.call(overlay.querySelectorAll("button"), function (b) { return b.offsetParent !== null; });
      var at = buttons.indexOf(document.activeElement);
      event.preventDefault();
      buttons[(at + (event.shiftKey ? -1 : 1) + buttons.length) % buttons.length].focus();
    }
  }, true);

  // An upload past the request's limit is refused (413) before the server reads it, with a
  // whole page htmx does not swap in: say so next to the form that sent it.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr, form = event.detail && event.detail.elt;
    if (!xhr || xhr.status !== 413 || !form || !form.matches("form[enctype='multipart/form-data']")) return;
    var note = document.createElement("div");
    note.className = "alert alert-danger small py-2 my-2";
    note.setAttribute("role", "alert");
    note.dataset.testid = "upload-too-large";
    note.textContent = text("tooLarge", "Too large");
    var spot = form.id && document.getElementById("item-files-" + form.id.replace(/^attach-/, ""));
    (spot || form).insertAdjacentElement(spot ? "beforeend" : "beforebegin", note);
  });

  // A file input marked data-autosubmit sends its form as soon as files are chosen: one tap on
  // "take a photo", no separate upload button (that button is there only without JavaScript).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-autosubmit]") || !input.files.length) return;
    var form = input.form;
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
})();
