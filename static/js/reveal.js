// Show a follow-up field only while the choice it depends on is ticked
// (data-show-if="<input id>"). Without JavaScript every follow-up stays visible.
(function () {
  "use strict";
  var dependents = document.querySelectorAll("[data-show-if]");
  function update() {
    Array.prototype.forEach.call(dependents, function (element) {
      var trigger = document.getElementById(element.getAttribute("data-show-if"));
      element.hidden = !(trigger && trigger.checked);
    });
  }
  document.addEventListener("change", update);
  update();
})();
