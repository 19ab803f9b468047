/* The outbox of the technician's field actions (check in, 出发, report steps, part lines, photos, fee,
   signature, complete visit): every form marked `data-outbox` is queued in IndexedDB and sent from
   there, in order, now or when the network is back. It survives closing the browser.

   An action counts as sent only when the server answered it with JSON `{"ok": true}`
   (tickets/answers.py). A conflict (the record changed on another device) keeps the local copy and
   shows it beside the server's values with a choice; a refusal shows its reason. Nothing is dropped
   unless the technician chooses so.

   Each action carries its own idempotency key (made when it is queued), as the field
   `idempotency_key` and the header `Idempotency-Key`. Forms of one record carry its version as the
   page showed it; pages kept offline show an old one, so the outbox remembers which versions its own
   confirmed actions produced (`chain`) and sends a later action against the newest of them: a version
   moved on by another device is still refused as a conflict. */
(function () {
  "use strict";
  var DB_NAME = "aftersales-outbox";
  var STORE = "actions";
  var FLASH = "aftersales:flash";
  var body = document.body;
  var user = body.dataset.user || "";
  var panel = document.getElementById("outbox");
  if (!user || !window.indexedDB) return;
  var CHAIN = "aftersales:outbox-chain:" + user;

  // ---- storage -------------------------------------------------------------------------------
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function run(mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var transaction = database.transaction(STORE, mode);
        var request = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(request ? request.result : undefined); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }

  function actions() {
    return run("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return items.filter(function (item) { return item.user === user; })
        .sort(function (a, b) { return a.id - b.id; });
    });
  }
  function save(item) { return run("readwrite", function (store) { return store.put(item); }); }
  function drop(id) { return run("readwrite", function (store) { return store.delete(id); }); }

  function chain() {
    try { return JSON.parse(localStorage.getItem(CHAIN)) || {}; } catch (error) { return {}; }
  }

  function remember(item, sentVersion, written) {
    var known = chain();
    Object.keys(written || {}).forEach(function (scope) {
      var after = Number(written[scope]);
      var entry = known[scope] || { seen: [] };
      var ours = [String(after - 1), String(after)];
      if (item.scope === scope) ours.push(String(item.base), String(sentVersion));
      ours.forEach(function (version) { if (entry.seen.indexOf(version) < 0) entry.seen.push(version); });
      entry.latest = String(after);
      known[scope] = entry;
    });
    localStorage.setItem(CHAIN, JSON.stringify(known));
  }

  function versionToSend(item) {
    if (item.override !== undefined) return item.override;
    var entry = item.scope && chain()[item.scope];
    if (entry && entry.seen.indexOf(String(item.base)) >= 0) return entry.latest;
    return item.base;
  }

  // ---- queueing a form -------------------------------------------------------------------------
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }

  /* A photo as the tablet's camera takes it is several MB: shrink it to 1600 px JPEG before it is kept. */
  function shrink(file) {
    if (!file.type || file.type.indexOf("image/") !== 0 || !window.createImageBitmap) {
      return Promise.resolve({ blob: file, name: file.name });
    }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          resolve(blob && blob.size < file.size ? { blob: blob, name: name } : { blob: file, name: file.name });
        }, "image/jpeg", 0.85);
      });
    }, function () { return { blob: file, name: file.name }; });
  }

  function labelOf(form, name) {
    var control = form.querySelector('[name="' + name + '"]');
    if (!control) return name;
    var fieldset = control.closest("fieldset");
    if (control.type === "radio" && fieldset && fieldset.querySelector("legend")) {
      return fieldset.querySelector("legend").textContent.replace("*", "").trim();
    }
    var label = control.id && form.querySelector('label[for="' + control.id + '"]');
    return label ? label.textContent.replace("*", "").trim() : name;
  }

  function queue(form, submitter) {
    var data = new FormData(form, submitter || undefined);
    var fields = [];
    var pending = [];
    var labels = {};
    data.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken" || name === "idempotency_key") return;
      if (typeof value === "string") {
        fields.push([name, value]);
        labels[name] = labelOf(form, name);
      } else if (value.size) {
        pending.push(shrink(value).then(function (shrunk) { return [name, shrunk.blob, shrunk.name]; }));
      }
    });
    return Promise.all(pending).then(function (files) {
      var item = {
        user: user,
        url: form.action,
        page: location.pathname + location.search,
        label: form.dataset.outbox,
        key: newKey(),
        fields: fields,
        files: files,
        labels: labels,
        scope: form.dataset.outboxScope || "",
        base: data.get("version") === null ? "" : String(data.get("version")),
        state: "pending",
        created: Date.now(),
      };
      // A report step saved again before it was sent replaces the earlier copy (the last word counts).
      var replaced = form.hasAttribute("data-outbox-restore") ? actions().then(function (items) {
        return Promise.all(items.filter(function (old) { return old.url === item.url; })
          .map(function (old) { return drop(old.id); }));
      }) : Promise.resolve();
      return replaced.then(function () { return save(item); }).then(function (id) {
        item.id = id;
        return item;
      });
    });
  }

  // ---- sending -------------------------------------------------------------------------------
  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (error) { return ""; }
  }

  function send(item) {
    var form = new FormData();
    var version = versionToSend(item);
    item.fields.forEach(function (pair) {
      form.append(pair[0], pair[0] === "version" && item.scope ? version : pair[1]);
    });
    item.files.forEach(function (file) { form.append(file[0], file[1], file[2]); });
    form.append("idempotency_key", item.key);
    return fetch(item.url, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Idempotency-Key": item.key,
        "X-CSRFToken": csrfToken(),
        "X-Outbox": "1",
      },
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!json) {
        // The login page, a proxy's error page: the server did not confirm anything.
        return { ok: false, unconfirmed: true, message: interpolate(gettext("服务器没有确认收到这项操作(HTTP %s),内容仍保存在本机。请确认已登录后点“重试”。"),
          [response.status]) };
      }
      return response.json().then(function (answer) { answer.sentVersion = version; return answer; });
    });
  }

  var flushing = null;
  /* Send everything queued, oldest first; stop at the first action the server did not accept (the
     ones after it may depend on it) or when the network fails. Resolves with {id: answer}. */
  function flush() {
    if (flushing) return flushing;
    var answers = {};
    function next(items) {
      var item = items.shift();
      if (!item || !navigator.onLine) return answers;
      if (item.state !== "pending") return answers;
      return send(item).then(function (answer) {
        answers[item.id] = answer;
        if (answer.ok) {
          remember(item, answer.sentVersion, answer.versions);
          tellWorker({ written: [item.url] });
          return drop(item.id).then(function () { return next(items); });
        }
        item.state = answer.conflict ? "conflict" : "refused";
        item.answer = answer;
        return save(item).then(function () { return answers; });
      }, function () { return answers; });  // the network went away: it stays queued
    }
    flushing = actions().then(next).then(function (result) {
      flushing = null;
      return render().then(function () { return result; });
    }, function (error) {
      flushing = null;
      throw error;
    });
    return flushing;
  }

  // ---- what the technician sees ------------------------------------------------------------------
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function say(text, tone) {
    var messages = document.getElementById("messages");
    if (!messages || !text) return;
    var alert = element("div", "alert alert-" + (tone || "info"), text);
    alert.setAttribute("role", "status");
    messages.appendChild(alert);
  }

  function comparison(item) {
    var server = (item.answer && item.answer.server) || {};
    var table = element("table", "table table-sm table-bordered bg-white mb-2");
    var head = table.createTHead().insertRow();
    ["", gettext("本机(未同步)"), gettext("服务器上现在的内容")].forEach(function (text) { head.appendChild(element("th", "", text)); });
    var rows = table.createTBody();
    item.fields.forEach(function (pair) {
      var label = item.labels[pair[0]];
      if (pair[0] === "version" || pair[0] === "next" || !(label in server)) return;
      var row = rows.insertRow();
      row.appendChild(element("th", "", label));
      var mine = element("td", "", pair[1]);
      mine.dataset.testid = "outbox-mine";
      row.appendChild(mine);
      var theirs = element("td", "", server[label]);
      theirs.dataset.testid = "outbox-server";
      row.appendChild(theirs);
    });
    return table;
  }

  function button(text, className, action) {
    var node = element("button", "btn " + className, text);
    node.type = "button";
    node.addEventListener("click", action);
    return node;
  }

  function problem(item) {
    var card = element("div", "alert " + (item.state === "conflict" ? "alert-danger" : "alert-warning"));
    card.dataset.testid = "outbox-" + item.state;
    card.appendChild(element("strong", "d-block", item.label + ":" + ((item.answer && item.answer.message) || "")));
    var errors = (item.answer && item.answer.errors) || {};
    Object.keys(errors).forEach(function (label) {
      card.appendChild(element("div", "small", (label ? label + ":" : "") + errors[label]));
    });
    if (item.state === "conflict") card.appendChild(comparison(item));
    var actionsRow = element("div", "d-flex flex-wrap gap-2 mt-2");
    if (item.state === "conflict") {
      actionsRow.appendChild(button(gettext("保留本机内容,覆盖服务器"), "btn-primary", function () {
        var scope = item.scope && item.answer.versions && item.answer.versions[item.scope];
        if (scope !== undefined) item.override = String(scope);
        item.state = "pending";
        save(item).then(flush).then(render);
      }));
      actionsRow.appendChild(button(gettext("采用服务器的内容,放弃本机这项"), "btn-outline-danger", function () {
        if (window.confirm(gettext("放弃本机的这项内容?放弃后不能恢复。"))) drop(item.id).then(flush).then(render);
      }));
    } else {
      actionsRow.appendChild(button(gettext("重试"), "btn-primary", function () {
        item.state = "pending";
        save(item).then(flush).then(render);
      }));
      if (item.page) {
        var edit = element("a", "btn btn-outline-primary", gettext("打开该页修改"));
        edit.href = item.page;
        actionsRow.appendChild(edit);
      }
      actionsRow.appendChild(button(gettext("放弃这项"), "btn-outline-danger", function () {
        if (window.confirm(gettext("放弃本机的这项内容?放弃后不能恢复。"))) drop(item.id).then(flush).then(render);
      }));
    }
    card.appendChild(actionsRow);
    return card;
  }

  function render() {
    return actions().then(function (items) {
      if (panel) {
        panel.replaceChildren();
        if (items.length) {
          var blocked = items.filter(function (item) { return item.state !== "pending"; });
          var line = element("div", "alert alert-warning d-flex flex-wrap gap-2 align-items-center");
          var count = element("strong", "", interpolate(gettext("待同步 %s"), [items.length]));
          count.dataset.testid = "outbox-count";
          line.appendChild(count);
          line.appendChild(element("span", "", blocked.length
            ? interpolate(gettext("有 %s 项需要您处理,之后的操作会等它处理完再发送。"), [blocked.length])
            : navigator.onLine ? gettext("正在发送……") : gettext("网络已断开:操作已保存在本机,联网后按顺序自动提交。")));
          panel.appendChild(line);
          blocked.forEach(function (item) { panel.appendChild(problem(item)); });
        }
      }
      showQueuedLines(items);
      unlockQueued(items);
      return items;
    });
  }

  /* What a queued action makes possible before the server has it: a check-in queued offline opens the
     report's steps on pages kept before it (`data-outbox-shows`) and takes away the buttons that would
     now be refused (`data-outbox-hides`). One way only: once the action is sent, the next page the
     server renders shows the real state. */
  function unlockQueued(items) {
    var opened = false;
    document.querySelectorAll("[data-outbox-shows], [data-outbox-hides]").forEach(function (node) {
      var shows = node.hasAttribute("data-outbox-shows");
      var url = new URL(shows ? node.dataset.outboxShows : node.dataset.outboxHides, location.href).href;
      if (!items.some(function (item) { return item.url === url; })) return;
      if (shows && node.classList.contains("d-none")) opened = true;
      node.classList.toggle("d-none", !shows);
    });
    if (opened) document.dispatchEvent(new Event("signature-pad-shown"));
  }

  /* Part lines and photos waiting to be sent, under the lists of the ones the server has. */
  function showQueuedLines(items) {
    document.querySelectorAll("[data-outbox-list]").forEach(function (list) {
      list.replaceChildren();
      items.filter(function (item) { return item.url === new URL(list.dataset.outboxList, location.href).href; })
        .forEach(function (item) {
          var entry = element("li", "list-group-item list-group-item-warning");
          entry.dataset.testid = "queued-line";
          var values = {};
          item.fields.forEach(function (pair) { values[pair[0]] = pair[1]; });
          var text = [];
          if (values.part_name) {
            text.push((values.part_code ? values.part_code + " " : "") + values.part_name + " × " + values.quantity);
            if (values.removed_serial) text.push(interpolate(gettext("拆下 %s"), [values.removed_serial]));
            if (values.fitted_serial) text.push(interpolate(gettext("装上 %s"), [values.fitted_serial]));
          }
          item.files.forEach(function (file) {
            var image = element("img", "report-thumb me-2");
            image.alt = file[2];
            image.src = URL.createObjectURL(file[1]);
            entry.appendChild(image);
          });
          entry.appendChild(document.createTextNode(text.join(" · ") + gettext("(待同步)")));
          list.appendChild(entry);
        });
    });
  }

  /* A report step already saved on this device (and not yet sent) fills its form again. */
  function restore(items) {
    document.querySelectorAll("form[data-outbox-restore]").forEach(function (form) {
      var item = items.filter(function (old) { return old.url === form.action; }).pop();
      if (!item) return;
      item.fields.forEach(function (pair) {
        if (pair[0] === "version") return;
        form.querySelectorAll('[name="' + pair[0] + '"]').forEach(function (control) {
          if (control.type === "radio" || control.type === "checkbox") control.checked = control.value === pair[1];
          else control.value = pair[1];
        });
      });
      say(gettext("这一步在本机保存过、尚未同步的内容已填入。"), "warning");
    });
  }

  /* The signature step: the customer may sign offline once the report is complete on this device
     (what the server lacks is filled by steps waiting in the outbox). */
  function offerOfflineSignature(items) {
    var section = document.querySelector("[data-offline-signature]");
    if (!section) return;
    var signForm = section.querySelector("form");
    var mine = items.filter(function (item) { return item.scope === section.dataset.scope; });
    if (mine.some(function (item) { return item.url === signForm.action; })) {
      // Signed on this device, not yet sent: what is left is completing the visit.
      section.classList.add("d-none");
      var complete = document.querySelector("form[data-offline-complete]");
      var note = complete.querySelector("textarea[name=note]");
      mine.forEach(function (item) {
        item.fields.forEach(function (pair) { if (pair[0] === "work_done" && !note.value) note.value = pair[1]; });
      });
      complete.classList.remove("d-none");
      say(gettext("客户已在本机签字(待同步)。"), "warning");
      return;
    }
    if (!section.classList.contains("d-none")) return;
    var queued = {};
    var labels = {};
    mine.forEach(function (item) {
      item.fields.forEach(function (pair) { queued[pair[0]] = pair[1]; labels[pair[0]] = item.labels[pair[0]]; });
    });
    var needs = (section.dataset.needs || "").split(/\s+/).filter(Boolean);
    var complete = needs.every(function (name) {
      var value = (queued[name] || "").trim();
      return value && !(name === "fee" && Number(value) === 0);
    });
    if (!complete) return;
    var summary = section.querySelector("[data-queued-summary]");
    Object.keys(labels).forEach(function (name) {
      if (name === "version") return;
      summary.appendChild(element("dt", "col-sm-4", labels[name]));
      summary.appendChild(element("dd", "col-sm-8", queued[name]));
    });
    var locked = document.querySelector("[data-testid=signature-locked]");
    if (locked) locked.classList.add("d-none");
    section.classList.remove("d-none");
    section.dispatchEvent(new Event("signature-pad-shown", { bubbles: true }));
  }

  // ---- the forms -------------------------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-outbox]") || event.defaultPrevented) return;
    event.preventDefault();
    if (form.dataset.queueing) return;  // a double tap is one action
    form.dataset.queueing = "1";
    var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
    buttons.forEach(function (node) { node.disabled = true; });
    function release() {
      delete form.dataset.queueing;
      buttons.forEach(function (node) { node.disabled = false; });
    }
    queue(form, event.submitter).then(function (item) {
      return (navigator.onLine ? flush() : Promise.resolve({})).then(function (answers) {
        var answer = answers[item.id];
        if (answer && answer.ok) {
          sessionStorage.setItem(FLASH, answer.message);
          location.assign(answer.redirect || location.href);
          return;
        }
        if (answer && !answer.conflict && !answer.unconfirmed) {
          // Refused while the technician is looking at the form: the typed input is still in it.
          drop(item.id).then(render);
          say(answer.message + " " + Object.keys(answer.errors || {}).map(function (label) {
            return (label ? label + ":" : "") + answer.errors[label];
          }).join(" "), "danger");
          release();
          return;
        }
        if (answer) { release(); return; }  // a conflict: the panel shows both versions
        sessionStorage.setItem(FLASH, gettext("已保存在本机(待同步),联网后会按顺序自动提交。"));
        if (form.dataset.outboxNext) {
          location.assign(form.dataset.outboxNext);
        } else {
          form.reset();
          release();
          render();
          say(sessionStorage.getItem(FLASH), "warning");
          sessionStorage.removeItem(FLASH);
        }
      });
    }, function () {
      release();
      say(gettext("无法保存在本机(浏览器存储不可用),请联网后再提交。"), "danger");
    });
  });

  // Signing out: the pages kept for offline use hold customers' names and addresses.
  document.addEventListener("submit", function (event) {
    if (event.target.matches("form[action$='/logout/']") && window.caches) caches.delete("pages");
  }, true);

  // ---- offline pages -------------------------------------------------------------------------------
  /* Pages the technician will need on site today, kept by the service worker: each job on 我的任务, every
     step of a report, the van stock. It fetches only those it has no fresh copy of. This page is not
     listed when the worker kept it on its way here; it is when it did not come through the worker (the
     first visit, the worker not yet installed). `serviceWorker.controller` cannot tell: the worker claims
     this page as soon as it starts, after the page came from the network. */
  function pagesToKeep() {
    var navigation = window.performance && performance.getEntriesByType("navigation")[0];
    var throughWorker = navigation && navigation.workerStart > 0;
    var urls = throughWorker ? [] : [location.pathname + location.search];
    document.querySelectorAll("[data-prefetch]").forEach(function (node) {
      (node.dataset.prefetch || node.getAttribute("href") || "").split(/\s+/).forEach(function (url) {
        if (!url) return;
        var address = new URL(url, location.href);
        if (urls.indexOf(address.pathname + address.search) < 0) urls.push(address.pathname + address.search);
      });
    });
    return urls;
  }

  // Only the technician's pages are kept for offline use (the desk's have no business on a tablet).
  var fieldApp = "serviceWorker" in navigator && body.hasAttribute("data-field-app");
  function tellWorker(message) {
    if (!fieldApp) return;
    // Waits for the worker installed on the first visit; messages of one page arrive in order.
    navigator.serviceWorker.ready.then(function (registration) { registration.active.postMessage(message); });
  }
  /* Asked once the outbox is sent (a page kept before a write the outbox just sent would be stale), and
     again when the network is back. */
  function keepPagesForOffline() {
    if (!navigator.onLine) return;
    tellWorker({ keep: pagesToKeep(), jobs: Boolean(document.querySelector("[data-all-jobs]")) });
  }
  if (fieldApp) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data === "kept") body.dataset.offlineReady = "1";
    });
    navigator.serviceWorker.register("/sw.js", { scope: "/" });
  }

  // ---- start ---------------------------------------------------------------------------------------
  var flash = sessionStorage.getItem(FLASH);
  if (flash) {
    sessionStorage.removeItem(FLASH);
    say(flash, flash.indexOf(gettext("待同步")) >= 0 ? "warning" : "success");
  }
  actions().then(function (items) {
    unlockQueued(items);
    restore(items);
    offerOfflineSignature(items);
    return render();
  }).then(function (items) {
    // An empty outbox sends nothing: no second read of it, no second drawing of the panel.
    if (items.length && navigator.onLine) return flush();
  }).then(keepPagesForOffline, keepPagesForOffline);
  window.addEventListener("online", function () {
    flush().then(function (answers) {
      var sent = Object.keys(answers).filter(function (id) { return answers[id].ok; }).length;
      if (sent) say(interpolate(gettext("网络已恢复:离线时保存的 %s 项操作已提交并由服务器确认。"), [sent]), "success");
      keepPagesForOffline();
    });
  });
  window.addEventListener("offline", render);
})();
