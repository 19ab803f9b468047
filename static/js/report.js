/* Service report pages: keep unsaved input in the browser, resend it when the network is back,
   and the customer's signature with signature_pad. The idempotency key in each form makes a resend
   safe: the server answers a repeated save with the report as it is. */
(function () {
  "use strict";
  var PREFIX = "aftersales:";
  var status = document.getElementById("offline-status");

  function say(text) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("d-none", !text);
  }

  function fields(form) {
    var data = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") data[name] = value;
    });
    return data;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function store(form, pending) {
    var entry = { url: form.action, fields: fields(form), pending: pending };
    localStorage.setItem(PREFIX + form.dataset.offlineKey, JSON.stringify(entry));
  }

  function restore(form) {
    var raw = localStorage.getItem(PREFIX + form.dataset.offlineKey);
    if (!raw) return;
    var entry = JSON.parse(raw);
    Object.keys(entry.fields).forEach(function (name) {
      if (name === "version" || name === "idempotency_key") return;
      var elements = form.querySelectorAll('[name="' + name + '"]');
      elements.forEach(function (element) {
        if (element.type === "radio" || element.type === "checkbox") {
          element.checked = element.value === entry.fields[name];
        } else {
          element.value = entry.fields[name];
        }
      });
    });
    say(entry.pending ? "上次断网时未提交的内容已恢复,联网后会自动提交。" : "已恢复本机保存的未提交内容,请核对后保存。");
  }

  function resendPending() {
    Object.keys(localStorage).forEach(function (key) {
      if (key.indexOf(PREFIX) !== 0) return;
      var entry = JSON.parse(localStorage.getItem(key));
      if (!entry.pending) return;
      var body = new FormData();
      Object.keys(entry.fields).forEach(function (name) { body.append(name, entry.fields[name]); });
      body.append("csrfmiddlewaretoken", csrfToken());
      fetch(entry.url, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) {
          if (response.ok) {
            localStorage.removeItem(key);
            say("网络已恢复,离线时填写的内容已自动提交。");
            window.setTimeout(function () { window.location.reload(); }, 800);
          } else {
            entry.pending = false;
            localStorage.setItem(key, JSON.stringify(entry));
            say("离线内容未能自动提交,请核对后手动保存。");
          }
        })
        .catch(function () { say("网络仍不可用,内容已保存在本机。"); });
    });
  }

  document.querySelectorAll("form[data-offline-key]").forEach(function (form) {
    restore(form);
    form.addEventListener("input", function () { store(form, false); });
    form.addEventListener("change", function () { store(form, false); });
    form.addEventListener("submit", function (event) {
      if (!navigator.onLine) {
        event.preventDefault();
        store(form, true);
        say("网络已断开:内容已保存在本机,联网后会自动提交。");
        return;
      }
      localStorage.removeItem(PREFIX + form.dataset.offlineKey);
    });
  });
  window.addEventListener("online", resendPending);
  window.addEventListener("offline", function () { say("网络已断开:填写的内容会保存在本机。"); });
  if (navigator.onLine) resendPending();

  // One tap is enough: a second submit of the same form is ignored by the page (and by the server).
  document.querySelectorAll("form").forEach(function (form) {
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
    form.querySelector("[data-signature-clear]").addEventListener("click", function () {
      pad.clear();
      hidden.value = "";
    });
    form.addEventListener("submit", function (event) {
      if (pad.isEmpty()) {
        event.preventDefault();
        delete form.dataset.submitted;
        if (hint) hint.textContent = "请客户先在框内签名。";
        return;
      }
      hidden.value = pad.toDataURL("image/png");
    }, true);
  });
})();
