/* Keyboard selection of the intake's search results: ↓ and ↑ in the search box move through the
   choices (units, then "new product for this customer"), Enter opens the highlighted one. With nothing
   highlighted, Enter searches as before. New results (swapped in by htmx) start unhighlighted. */
(function () {
  "use strict";

  var input = document.getElementById("customer-search");
  var results = document.getElementById("search-results");
  if (!input || !results) return;
  var index = -1;

  function choices() {
    return Array.prototype.slice.call(results.querySelectorAll("a[data-pick]"));
  }

  function highlight(next) {
    var all = choices();
    if (!all.length) return;
    index = (next + all.length) % all.length;
    all.forEach(function (choice, position) {
      choice.classList.toggle("picked", position === index);
      choice.setAttribute("aria-current", position === index ? "true" : "false");
    });
    all[index].scrollIntoView({ block: "nearest" });
  }

  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight(index + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(index - 1);
    } else if (event.key === "Enter" && index >= 0 && choices()[index]) {
      event.preventDefault();
      window.location.assign(choices()[index].href);
    }
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target === results) index = -1;
  });

  // Typed before the scripts had loaded (a slow network, a fast dispatcher): those keystrokes reached no
  // listener, so search once htmx has taken the page over (its own DOMContentLoaded handler ran first).
  document.addEventListener("DOMContentLoaded", function () {
    if (input.value.trim() && !results.children.length && window.htmx) window.htmx.trigger(input, "search");
  });
})();
