// The portal's request form: the "new unit" box shows only when "new" is chosen, and the chosen
// photos show as thumbnails, so the customer sees what will be sent.
(function () {
  "use strict";
  function setUp() {
    var select = document.getElementById("id_asset"), box = document.getElementById("new-asset");
    function sync() { box.hidden = select.value !== "new"; }
    if (select && box) { select.addEventListener("change", sync); sync(); }
    var input = document.getElementById("id_photos"), preview = document.getElementById("photo-preview");
    if (input && preview) {
      input.addEventListener("change", function () {
        preview.replaceChildren();
        Array.prototype.forEach.call(input.files, function (file) {
          var img = document.createElement("img");
          img.alt = file.name;
          if (file.type.indexOf("image/") === 0) { img.src = URL.createObjectURL(file); }
          preview.appendChild(img);
        });
        preview.hidden = input.files.length === 0;
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
