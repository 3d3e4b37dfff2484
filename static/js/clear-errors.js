// Clear a field's error as soon as the patient answers it: the red message, the field's mark and its line in the
// summary at the top go, so only what is still open stays red. The server checks everything again on Next, so
// without JavaScript nothing changes: the messages simply stay until the next submit.
(function () {
  "use strict";

  function filled(control) {
    return control.type === "hidden" || control.value.trim() !== "";
  }

  function answered(field) {
    var controls = field.querySelectorAll("input, select, textarea");
    if (field.getAttribute("data-answered-when") === "all") {  // a date in parts: day, month and year all given
      return Array.prototype.every.call(controls, filled);
    }
    for (var i = 0; i < controls.length; i += 1) {
      var control = controls[i];
      if (control.type === "radio" || control.type === "checkbox") {
        if (control.checked) { return true; }
      } else if (control.type !== "hidden" && control.value.trim() !== "") {
        return true;
      }
    }
    return false;
  }

  function clear(field) {
    field.classList.remove("has-error");
    var messages = field.querySelectorAll(".error");
    Array.prototype.forEach.call(messages, function (message) {
      Array.prototype.forEach.call(field.querySelectorAll("[aria-describedby]"), function (element) {
        var ids = element.getAttribute("aria-describedby").split(" ").filter(function (id) {
          return id && id !== message.id;
        });
        if (ids.length) { element.setAttribute("aria-describedby", ids.join(" ")); }
        else { element.removeAttribute("aria-describedby"); }
      });
      message.parentNode.removeChild(message);
    });
    Array.prototype.forEach.call(field.querySelectorAll("[aria-invalid]"), function (control) {
      control.removeAttribute("aria-invalid");
    });
    var summary = document.querySelector(".error-summary");
    if (!summary) { return; }
    Array.prototype.forEach.call(summary.querySelectorAll('a[href="#' + field.id + '"]'), function (link) {
      var item = link.closest("li");
      if (item) { item.parentNode.removeChild(item); }
    });
    if (!summary.querySelector("li")) { summary.hidden = true; }
  }

  function update(event) {
    var field = event.target.closest && event.target.closest(".field.has-error");
    if (field && answered(field)) { clear(field); }
  }

  document.addEventListener("change", update);
  document.addEventListener("input", update);
})();
