/* Service report pages: photos sent as soon as they are chosen, and the customer's signature with
   signature_pad. Saving, offline included, is the outbox's work (outbox.js). */
(function () {
  "use strict";

  // One tap is enough for the forms the outbox does not handle (removing a line).
  document.querySelectorAll("form:not([data-outbox])").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      if (form.dataset.submitted) { event.preventDefault(); return; }
      form.dataset.submitted = "1";
    });
  });

  document.querySelectorAll("input[data-autosubmit]").forEach(function (input) {
    input.addEventListener("change", function () { if (input.files.length) input.form.requestSubmit(); });
  });

  document.querySelectorAll("form[data-signature-form]").forEach(function (form) {
    var canvas = form.querySelector("canvas");
    var hidden = form.querySelector("input[name=signature]");
    var hint = form.querySelector("[data-signature-hint]");
    if (!canvas || !window.SignaturePad) return;
    var pad = new window.SignaturePad(canvas, { penColor: "#000", minWidth: 1.5, maxWidth: 3.5 });
    function resize() {
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
    }
    resize();
    window.addEventListener("orientationchange", resize);
    // A pad inside a closed <details> has no size yet: size it when it is opened.
    var details = canvas.closest("details");
    if (details) details.addEventListener("toggle", function () { if (details.open) resize(); });
    // Shown by the outbox when the report is complete on this device (signing offline).
    document.addEventListener("signature-pad-shown", resize);
    form.querySelector("[data-signature-clear]").addEventListener("click", function () {
      pad.clear();
      hidden.value = "";
    });
    form.addEventListener("submit", function (event) {
      if (pad.isEmpty()) {
        event.preventDefault();
        delete form.dataset.submitted;
        if (hint) hint.textContent = gettext("请客户先在框内签名。");
        return;
      }
      hidden.value = pad.toDataURL("image/png");
    }, true);
  });
})();
