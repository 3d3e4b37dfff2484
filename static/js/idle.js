// Shared-tablet privacy: after a quiet spell ask "Are you still there?" with a visible countdown
// (WCAG 2.2.1); if nobody answers, post the reset form so the server forgets this patient here.
// Timings come from data attributes on the dialog (KIOSK_IDLE_SECONDS, KIOSK_IDLE_COUNTDOWN_SECONDS).
(function () {
  "use strict";
  var dialog = document.getElementById("idle-dialog");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var idleMs = Number(dialog.getAttribute("data-idle-seconds")) * 1000;
  var countdownSeconds = Number(dialog.getAttribute("data-countdown-seconds"));
  var stillHereUrl = dialog.getAttribute("data-still-here-url");
  var startUrl = dialog.getAttribute("data-start-url");
  var csrfToken = dialog.getAttribute("data-csrf-token");
  var count = dialog.querySelector(".idle-count");
  var status = document.getElementById("idle-status");
  var timeLabel = document.getElementById("idle-time").firstChild.textContent.trim();
  var continueButton = document.getElementById("idle-continue");
  var resetForm = document.getElementById("idle-reset-form");
  var idleTimer = null;
  var tickTimer = null;
  var deadline = 0;
  var lastPing = Date.now();
  var returnFocus = null;

  function format(seconds) {
    var s = Math.max(0, seconds);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // Tell the server the patient is here, so its own idle limit (idle + countdown) does not end the session.
  function ping() {
    lastPing = Date.now();
    if (!stillHereUrl) { return; }  // the done page: nothing left to keep alive
    fetch(stillHereUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken } })
      .then(function (response) { if (response.status === 410) { window.location.replace(startUrl); } })
      .catch(function () { /* offline: the next page load decides */ });
  }

  function schedule() {
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(ask, idleMs);
  }

  function activity() {
    if (dialog.open) { return; }
    schedule();
    if (Date.now() - lastPing > idleMs / 2) { ping(); }
  }

  function tick() {
    var left = Math.round((deadline - Date.now()) / 1000);
    count.textContent = format(left);
    if (left <= 10 && !status.textContent) { status.textContent = timeLabel + " " + format(left); }
    if (left <= 0) {
      window.clearInterval(tickTimer);
      resetForm.submit();
    }
  }

  function ask() {
    returnFocus = document.activeElement;
    deadline = Date.now() + countdownSeconds * 1000;
    count.textContent = format(countdownSeconds);
    status.textContent = "";
    dialog.showModal();
    continueButton.focus();
    tickTimer = window.setInterval(tick, 250);
  }

  function stay() {
    window.clearInterval(tickTimer);
    if (dialog.open) { dialog.close(); }
    if (returnFocus && typeof returnFocus.focus === "function") { returnFocus.focus(); }
    ping();
    schedule();
  }

  continueButton.addEventListener("click", stay);
  dialog.addEventListener("cancel", function (event) { event.preventDefault(); stay(); });  // Escape = "I am here"
  ["pointerdown", "keydown", "touchstart", "wheel", "input"].forEach(function (name) {
    document.addEventListener(name, activity, { passive: true, capture: true });
  });
  // A page restored from the back-forward cache must ask the server again, which may have forgotten the patient.
  window.addEventListener("pageshow", function (event) { if (event.persisted) { window.location.reload(); } });
  schedule();
})();
