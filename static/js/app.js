/* Behaviour every page shares, kept out of the HTML so the Content-Security-Policy can forbid inline
   scripts: confirmation before a form or button that cannot be undone, print buttons, selects that
   submit their form on change (the language switch), submit buttons disabled once their form is sent
   (a courtesy against double taps: the form's idempotency key is the real guard on the server), the
   character count under a text with a limit (data-max-chars: counted, never cut; the server refuses what
   is too long), and search boxes that narrow a list. Listeners sit on the document, so content htmx
   swaps in later is covered too. */
(function () {
  "use strict";

  // Capture phase: refused before htmx, listening on the form itself, can send anything.
  function confirmOr(event, message) {
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }

  document.addEventListener("submit", function (event) {
    confirmOr(event, event.target.dataset.confirm);
  }, true);

  // Bubble phase, after the confirmation and htmx; later, so the tapped button's name and value are sent.
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented || event.target.method.toLowerCase() !== "post") return;
    var buttons = event.target.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
    window.setTimeout(function () {
      buttons.forEach(function (button) {
        button.disabled = true;
        button.dataset.sent = "";
      });
    }, 0);
  });

  // Back to a page the browser kept in memory: its buttons work again (its form has a new key only once
  // reloaded, and a resend with the old key gets the first answer, not a second write).
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("[data-sent]").forEach(function (button) {
      button.disabled = false;
      delete button.dataset.sent;
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm]");
    if (button) confirmOr(event, button.dataset.confirm);
    if (event.target.closest("[data-print]")) window.print();
  }, true);

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.dataset || !field.dataset.maxChars) return;
    var counter = document.querySelector('[data-counter-for="' + field.id + '"]');
    if (!counter) return;
    // Counted as the server counts: characters (not UTF-16 units), a line break sent as \r\n.
    var length = Array.from(field.value.replace(/\n/g, "\r\n")).length;
    counter.querySelector("[data-count]").textContent = length;
    counter.classList.toggle("text-danger", length > Number(field.dataset.maxChars));
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-submit-on-change]")) event.target.form.submit();
  });

  // A search box that narrows a list on the page as one types (or scans): data-filter="<selector>".
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches("input[data-filter]")) return;
    var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    document.querySelectorAll(input.dataset.filter).forEach(function (item) {
      var text = item.textContent.toLowerCase();
      item.classList.toggle("d-none", !words.every(function (word) { return text.indexOf(word) >= 0; }));
    });
  });
})();
