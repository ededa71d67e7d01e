// The car list follows the chosen customer: a <select data-cars-of="<customer select id>"> shows
// only the <optgroup data-owner="<customer id>"> of the customer chosen (all of them while none is).
(function () {
  "use strict";
  function follow(cars) {
    var owner = document.getElementById(cars.dataset.carsOf);
    if (!owner) return;
    function apply() {
      var chosen = owner.value;
      cars.querySelectorAll("optgroup[data-owner]").forEach(function (group) {
        var mine = !chosen || group.dataset.owner === chosen;
        group.hidden = !mine;
        group.disabled = !mine;
      });
      var picked = cars.selectedOptions[0];
      if (picked && picked.parentElement.disabled) cars.value = "";
      // One car of the chosen customer: take it.
      var own = cars.querySelectorAll('optgroup[data-owner="' + chosen + '"] option');
      if (chosen && own.length === 1 && !cars.value) cars.value = own[0].value;
    }
    owner.addEventListener("change", apply);
    apply();
  }
  document.querySelectorAll("select[data-cars-of]").forEach(follow);
})();
