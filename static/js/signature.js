// Signature canvas: finger, stylus or mouse; the drawn PNG goes into a hidden field on submit.
(function () {
  "use strict";
  var form = document.getElementById("sign-form");
  var canvas = document.getElementById("signature-canvas");
  if (!form || !canvas || typeof SignaturePad === "undefined") { return; }
  var wrapper = canvas.parentElement;
  var hidden = document.getElementById("signature_data");
  wrapper.hidden = false;
  document.documentElement.classList.add("js");
  var pad = new SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#111" });

  function resize() {
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var data = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    pad.fromData(data);
  }
  window.addEventListener("resize", resize);
  resize();

  document.getElementById("signature-clear").addEventListener("click", function () {
    pad.clear();
    hidden.value = "";
  });
  form.addEventListener("submit", function () {
    hidden.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
  });
})();
