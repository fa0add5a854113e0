/* The console's only script of its own (no inline scripts: the Content-Security-Policy forbids them).
   Typing sends nothing to the server, so it tells the server the person is active, at most once a minute;
   and after 30 minutes without any activity it signs out, so that an unattended screen shows nothing. */
(function () {
  "use strict";
  var body = document.body;
  if (!body || body.dataset.signedIn !== "yes") { return; }
  var idleMs = parseInt(body.dataset.idleSeconds, 10) * 1000;
  var lastActivity = Date.now();
  var lastReport = Date.now();
  function activity() {
    lastActivity = Date.now();
    if (lastActivity - lastReport > 60000) {
      lastReport = lastActivity;
      fetch("/session/keepalive", {method: "POST", credentials: "same-origin",
                                   headers: {"X-CSRF-Token": body.dataset.csrf}});
    }
  }
  ["keydown", "pointerdown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, activity, {passive: true});
  });
  document.addEventListener("htmx:afterRequest", function () { lastActivity = lastReport = Date.now(); });
  setInterval(function () {
    if (Date.now() - lastActivity >= idleMs) {
      var form = document.getElementById("sign-out-form");
      if (form) { form.elements.reason.value = "idle"; form.submit(); }
    }
  }, 10000);
  // The consent lines in the caller's language once it is chosen (French or English), else the agent's.
  function showScriptInCallersLanguage() {
    var chosen = document.getElementById("language");
    if (!chosen) { return; }
    // The page's own language from the form: a boosted page change leaves <html lang> as it first was.
    var wanted = (chosen.value === "fr" || chosen.value === "en") ? chosen.value : chosen.form.dataset.language;
    document.querySelectorAll("[data-script]").forEach(function (line) { line.hidden = line.dataset.script !== wanted; });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "language") { showScriptInCallersLanguage(); }
  });
  document.addEventListener("htmx:afterSettle", showScriptInCallersLanguage);
  showScriptInCallersLanguage();
  // After a boosted page change, move focus to the new page's main region for keyboard and screen reader users.
  document.addEventListener("htmx:afterSettle", function () {
    var main = document.getElementById("main");
    if (main) { main.focus({preventScroll: false}); }
  });
})();
