/* Scan a serial number's barcode or a unit's QR label into a field (the report's removed/fitted serial,
   我的任务's search; the channel's product registration and its 报修 unit choice): with the camera, or from
   a photo when the camera is broken or refused.
   BarcodeDetector where the browser has it; otherwise the vendored zxing build, loaded on first use.
   Every input marked `data-scan` gets a scan button; `data-scan="submit"` also sends its form once a code
   is read. The dialog is templates/_scanner.html. */
(function () {
  "use strict";
  var dialog = document.getElementById("scanner");
  if (!dialog) return;
  var video = dialog.querySelector("video");
  var photo = dialog.querySelector("input[type=file]");
  var status = dialog.querySelector("[data-scan-status]");
  var canvas = document.createElement("canvas");
  var halfCanvas = document.createElement("canvas");
  var target = null;
  var stream = null;
  var timer = null;
  var decoder = null;
  var session = 0; // one per opening of the dialog: a late camera answer of an earlier one is ignored
  var photoChosen = false;
  var photoCount = 0; // only the last photo chosen answers: an earlier one still being read is ignored

  /* Our own label's link (…/p/u/<serial>/, portal.labels), the serial where the dialog's pattern has "~". */
  function labelSerial(url) {
    var pattern = (dialog.dataset.labelUrl || "").split("~");
    if (pattern.length !== 2 || !url.pathname.endsWith(pattern[1])) return null;
    var at = url.pathname.lastIndexOf(pattern[0]);
    if (at < 0) return null; // the labels' site may be served under a prefix: the path's end is compared
    var serial = url.pathname.slice(at + pattern[0].length, url.pathname.length - pattern[1].length);
    if (!serial || serial.indexOf("/") >= 0) return null;
    try { return decodeURIComponent(serial).trim(); } catch (error) { return null; }
  }

  /* A label's QR code may hold a link (a service card, a product page) with the serial in it. */
  function serialFrom(text) {
    try {
      var url = new URL(text);
      var names = ["sn", "serial", "serial_number"];
      for (var i = 0; i < names.length; i++) {
        if (url.searchParams.get(names[i])) return url.searchParams.get(names[i]).trim();
      }
      var serial = labelSerial(url);
      if (serial) return serial;
    } catch (error) { /* not a link: the text is the serial */ }
    return text.trim();
  }

  function loadZxing() {
    if (window.ZXing) return Promise.resolve(window.ZXing);
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = dialog.dataset.zxing;
      script.onload = function () { resolve(window.ZXing); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  /* A function from a canvas to the text of the code on it (or null). */
  function getDecoder() {
    if (decoder) return decoder;
    var native = "BarcodeDetector" in window
      ? window.BarcodeDetector.getSupportedFormats().then(function (formats) { return formats.length > 0; })
      : Promise.resolve(false);
    decoder = native.then(function (supported) {
      if (supported) {
        var detector = new window.BarcodeDetector();
        return function (source) {
          return detector.detect(source).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
        };
      }
      return loadZxing().then(function (ZXing) {
        function readerWith(hint) {
          var reader = new ZXing.MultiFormatReader();
          reader.setHints(new Map([[hint, true]]));
          return reader;
        }
        var photoReader = readerWith(ZXing.DecodeHintType.TRY_HARDER);
        var labelReader = readerWith(ZXing.DecodeHintType.PURE_BARCODE);
        function read(reader, picture) {
          var bitmap = new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(new ZXing.HTMLCanvasElementLuminanceSource(picture)));
          // decodeWithState keeps the reader's hints (decode() would reset them for each image).
          try { return reader.decodeWithState(bitmap).getText(); } catch (error) { return null; }
        }
        /* zxing's finder misses some codes whatever their size (about 1 in 40 of our labels' links, a
           false finder pattern in the data): they are read at half the size, or as a code alone on the
           picture (a label photographed square on). */
        return function (source) {
          return Promise.resolve(
            read(photoReader, source)
            || read(photoReader, draw(source, Math.round(source.width / 2), Math.round(source.height / 2), halfCanvas))
            || read(labelReader, source)
          );
        };
      });
    });
    // A failed load (the zxing script aborted, say) is not kept: the next scan tries again.
    decoder.catch(function () { decoder = null; });
    return decoder;
  }

  function draw(source, width, height, onto) {
    var picture = onto || canvas;
    picture.width = width;
    picture.height = height;
    picture.getContext("2d").drawImage(source, 0, 0, width, height);
    return picture;
  }

  function found(text) {
    target.value = serialFrom(text);
    target.dispatchEvent(new Event("input", { bubbles: true }));
    target.dispatchEvent(new Event("change", { bubbles: true }));
    close();
    target.focus();
    if (target.dataset.scan === "submit" && target.form) target.form.requestSubmit();
  }

  function stop() {
    window.clearInterval(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
  }

  function close() {
    stop();
    if (dialog.open) dialog.close();
  }

  function startCamera() {
    var mine = ++session;
    function current() { return mine === session && dialog.open; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = dialog.dataset.noCamera;
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (media) {
      if (!current()) {
        // The dialog closed (a photo was read) before the camera answered: let the camera go at once.
        media.getTracks().forEach(function (track) { track.stop(); });
        throw new Error("closed");
      }
      stream = media;
      video.srcObject = media;
      return video.play();
    }).then(function () {
      return getDecoder();
    }).then(function (decode) {
      if (!current()) return;
      var busy = false;
      timer = window.setInterval(function () {
        if (busy || !video.videoWidth) return;
        busy = true;
        decode(draw(video, video.videoWidth, video.videoHeight)).then(function (text) {
          busy = false;
          if (text && timer) found(text);
        });
      }, 250);
    }).catch(function () {
      // Only while the technician still waits for the camera: a photo's own answer is not overwritten.
      if (current() && !photoChosen) status.textContent = dialog.dataset.noCamera;
    });
  }

  photo.addEventListener("change", function () {
    var file = photo.files[0];
    if (!file) return;
    var mine = ++photoCount;
    photoChosen = true;
    status.textContent = "";
    Promise.all([createImageBitmap(file), getDecoder()]).then(function (both) {
      var image = both[0];
      return both[1](draw(image, image.width, image.height));
    }).then(function (text) {
      if (mine !== photoCount) return;
      photo.value = "";
      if (text) found(text);
      else status.textContent = dialog.dataset.notFound;
    }, function () {
      if (mine !== photoCount) return;
      photo.value = "";
      status.textContent = dialog.dataset.notFound;
    });
  });

  dialog.querySelector("[data-scan-close]").addEventListener("click", close);
  dialog.addEventListener("close", stop);

  document.querySelectorAll("input[data-scan]").forEach(function (input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-secondary scan-button";
    button.textContent = dialog.dataset.buttonLabel;
    button.dataset.testid = "scan-" + input.name;
    button.addEventListener("click", function () {
      target = input;
      photoChosen = false;
      status.textContent = "";
      dialog.showModal();
      startCamera();
    });
    input.insertAdjacentElement("afterend", button);
  });
})();
