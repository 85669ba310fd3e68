/* planlog: the few things a page does better with script. Every page works without it. */
(function () {
  "use strict";

  /* A 时限 field (data-preview="/plans/{id}/deadline-preview") shows how the text reads
     while the chair types: the server reads it (the same reader that saves it) and
     answers an HTML fragment, escaped by the server's templates. */
  function preview(input) {
    var box = document.getElementById(input.getAttribute("aria-describedby"));
    if (!box) { return; }
    var timer = null;
    var asked = 0;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var mine = ++asked;
        var url = input.dataset.preview + "?text=" + encodeURIComponent(input.value);
        fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (html !== null && mine === asked) { box.innerHTML = html; }
          })
          .catch(function () { /* offline: the preview button still works */ });
      }, 250);
    });
  }

  /* "Copy" next to a link shown once (a calendar feed). */
  function copier(button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      field.select();
      var done = function () { button.textContent = button.dataset.copied || "✓"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          document.execCommand("copy"); done();
        });
      } else {
        document.execCommand("copy"); done();
      }
    });
  }

  /* "Print" on the ledger page. */
  function printer(button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  }

  document.querySelectorAll("input[data-preview]").forEach(preview);
  document.querySelectorAll("button[data-copy]").forEach(copier);
  document.querySelectorAll("button[data-print]").forEach(printer);
})();
