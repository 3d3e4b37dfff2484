// Show the "tell us more" box only after a yes; without JavaScript every box stays visible.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var questions = document.querySelectorAll(".question");
  Array.prototype.forEach.call(questions, function (question) {
    var extra = question.querySelector(".if-yes");
    if (!extra) { return; }
    function update() {
      var yes = question.querySelector('input[type=radio][value="yes"]');
      extra.hidden = !(yes && yes.checked);
    }
    question.addEventListener("change", update);
    update();
  });
})();
