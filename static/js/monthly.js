/* Monthly report: the exports stream while they are generated; say so for a while after a click. */
(function () {
  "use strict";
  var status = document.getElementById("export-status");
  document.querySelectorAll("[data-testid^=export-]").forEach(function (link) {
    link.addEventListener("click", function () {
      status.hidden = false;
      setTimeout(function () { status.hidden = true; }, 8000);
    });
  });
})();
