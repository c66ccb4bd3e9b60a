/* Quiz attempt page: autosave each answer as it is given, and a countdown that trusts the
   server's remaining seconds rather than the device clock. Without this script the page
   still works: "Save and continue later" and "Submit answers" post the whole form. */
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) { return; }
  var saveUrl = form.dataset.saveUrl;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function setStatus(fieldset, text, failed) {
    var status = fieldset.querySelector(".save-status");
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("text-danger", !!failed);
  }

  function save(fieldset) {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrf);
    data.append("present", fieldset.dataset.question);
    fieldset.querySelectorAll("input:checked").forEach(function (input) {
      data.append(input.name, input.value);
    });
    setStatus(fieldset, form.dataset.savingText, false);
    return fetch(saveUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf }
    }).then(function (response) {
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
    });
  }

  form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
    var clear = fieldset.querySelector(".clear-answer");
    function refreshClear() {
      if (clear) { clear.hidden = !fieldset.querySelector("input:checked"); }
    }
    fieldset.addEventListener("change", function () { refreshClear(); save(fieldset); });
    if (clear) {
      clear.addEventListener("click", function () {
        fieldset.querySelectorAll("input:checked").forEach(function (input) { input.checked = false; });
        refreshClear();
        save(fieldset);
      });
    }
    refreshClear();
  });

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
}());
