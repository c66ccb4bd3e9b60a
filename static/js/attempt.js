/* Quiz attempt and summary pages: autosave each answer and "flag for review" mark as it is
   given, keep the question navigator in step, and a countdown that trusts the server's
   remaining seconds rather than the device clock. Without this script the pages still
   work: "Save and continue later" and "Submit answers" post the whole form. */
(function () {
  "use strict";

  function autosave(form) {
    var saveUrl = form.dataset.saveUrl;
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

    function setStatus(fieldset, text, failed) {
      var status = fieldset.querySelector(".save-status");
      if (!status) { return; }
      status.textContent = text;
      status.classList.toggle("text-danger", !!failed);
    }

    // One request at a time per question, always carrying the latest choice: a quick
    // second change waits for the first save to answer, so saves reach the server in the
    // order they were made and an older answer can never overwrite a newer one.
    var inFlight = new WeakMap(), dirty = new WeakMap();

    function expired(response) {
      // A lapsed session answers with the log-in page (after a redirect) or a CSRF 403.
      var type = response.headers.get("Content-Type") || "";
      return response.status === 401 || response.status === 403 ||
        response.redirected || type.indexOf("application/json") === -1;
    }

    function send(fieldset) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", csrf);
      data.append("present", fieldset.dataset.question);
      // Every checked box of the question: its answer and, named "flagged", its flag.
      fieldset.querySelectorAll("input:checked").forEach(function (input) {
        data.append(input.name, input.value);
      });
      setStatus(fieldset, form.dataset.savingText, false);
      inFlight.set(fieldset, true);
      dirty.set(fieldset, false);
      return fetch(saveUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrf }
      }).then(function (response) {
        if (expired(response)) {
          setStatus(fieldset, form.dataset.expiredSessionText, true);
          return;
        }
        return response.json().then(function (body) {
          if (response.ok && body.ok) {
            var time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
            setStatus(fieldset, form.dataset.savedText + " " + time + ".", false);
          } else {
            setStatus(fieldset, body.message || form.dataset.failedText, true);
            if (response.status === 409) { window.location.reload(); }
          }
        });
      }).catch(function () {
        setStatus(fieldset, form.dataset.offlineText, true);
      }).then(function () {
        inFlight.set(fieldset, false);
        if (dirty.get(fieldset)) { send(fieldset); }
      });
    }

    function save(fieldset) {
      if (inFlight.get(fieldset)) {
        dirty.set(fieldset, true);  // sent with the latest choice once the current save answers
        return;
      }
      send(fieldset);
    }

    var ANSWER = "input:checked:not([name=flagged])";

    function refreshNav(fieldset) {
      var link = document.querySelector('[data-nav-question="' + fieldset.dataset.question + '"]');
      if (!link) { return; }
      var answered = !!fieldset.querySelector(ANSWER);
      var flag = fieldset.querySelector("input[name=flagged]");
      link.classList.toggle("btn-secondary", answered);
      link.classList.toggle("btn-outline-secondary", !answered);
      link.querySelector('[data-nav-state="answered"]').hidden = !answered;
      link.querySelector('[data-nav-state="unanswered"]').hidden = answered;
      link.querySelector('[data-nav-state="flagged"]').hidden = !(flag && flag.checked);
    }

    form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
      var clear = fieldset.querySelector(".clear-answer");
      function refreshClear() {
        if (clear) { clear.hidden = !fieldset.querySelector(ANSWER); }
      }
      fieldset.addEventListener("change", function () {
        refreshClear();
        refreshNav(fieldset);
        save(fieldset);
      });
      if (clear) {
        clear.addEventListener("click", function () {
          fieldset.querySelectorAll(ANSWER).forEach(function (input) { input.checked = false; });
          refreshClear();
          refreshNav(fieldset);
          save(fieldset);
        });
      }
      refreshClear();
    });
  }

  function startCountdown() {
    var countdown = document.getElementById("countdown");
    if (countdown) {
      var remaining = parseInt(countdown.dataset.remaining, 10);
      var started = performance.now();
      var finished = false;
      function format(seconds) {
        var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
        var mm = (h ? String(m).padStart(2, "0") : String(m)), ss = String(s).padStart(2, "0");
        return (h ? h + ":" : "") + mm + ":" + ss;
      }
      function tick() {
        var left = Math.max(0, remaining - Math.floor((performance.now() - started) / 1000));
        countdown.textContent = format(left);
        if (left === 0 && !finished) {
          finished = true;
          countdown.textContent = countdown.dataset.expiredText;
          // The server finishes the attempt with what was saved; reloading shows the result.
          window.location.reload();
          return;
        }
        window.setTimeout(tick, 1000);
      }
      tick();
    }
  }

  var form = document.getElementById("attempt-form");
  if (form) { autosave(form); }
  startCountdown();
}());
