/* Behaviour every page shares, kept out of the HTML so the Content-Security-Policy can forbid inline
   scripts: confirmation before a form or button that cannot be undone, print buttons, and selects that
   submit their form on change (the language switch), search boxes that narrow a list. Listeners sit on the document, so content htmx
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

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm]");
    if (button) confirmOr(event, button.dataset.confirm);
    if (event.target.closest("[data-print]")) window.print();
  }, true);

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
