/* The technician's app offline (served at /sw.js by tickets.pwa_views so that its scope is "/").

   Static files: kept at install, served from the cache first.
   Pages (我的任务, a job, its report steps, the van stock, photos): always asked of the network first;
   each answer is kept, stamped with the day, and given back when the network is gone, on that day
   only (a job list from yesterday would mislead). Writes are never touched here: the page's outbox
   (static/js/outbox.js) queues them in IndexedDB and sends them itself. */
"use strict";

var VERSION = "{{ version }}";
var ASSETS = {{ assets|safe }};
var STATIC_PREFIX = {{ static_prefix|safe }};
var NOT_CACHED = {{ not_cached|safe }};
var MY_JOBS = {{ my_jobs|safe }};
var CATALOG = {{ catalog|safe }};
var OFFLINE_TITLE = {{ offline_title|safe }};
var MY_JOBS_LABEL = {{ my_jobs_label|safe }};
var LANG = {{ lang|safe }};
var STATIC_CACHE = "static-" + VERSION;
var PAGES_CACHE = "pages";
// The scripts' texts (djangojs.po) in the language the technician last opened a page in.
var CATALOG_CACHE = "catalog";
var NEVER_KEPT = ["/api/", "/admin/", "/login/", "/logout/", "/account/", "/i18n/", "/sw.js"];

function today() {
  return new Date().toLocaleDateString("sv-SE");  // YYYY-MM-DD on the device's clock
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) { return cache.addAll(ASSETS); })
    .then(function () { return caches.open(CATALOG_CACHE); })
    .then(function (cache) { return cache.add(CATALOG); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("static-") === 0 && name !== STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function isPage(request, url) {
  if (NEVER_KEPT.some(function (prefix) { return url.pathname.indexOf(prefix) === 0; })) return false;
  return request.mode === "navigate" || (request.destination === "image" && url.pathname.indexOf("/tickets/") === 0);
}

function keepable(response) {
  return response.status === 200 && !response.redirected && response.type === "basic";
}

function keep(request, response) {
  return response.blob().then(function (body) {
    var headers = new Headers(response.headers);
    headers.set("X-Kept-On", today());
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.put(request.url, new Response(body, { status: 200, headers: headers }));
    });
  });
}

function keptToday(request) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.match(request.url).then(function (response) {
      if (response && response.headers.get("X-Kept-On") === today()) return response;
      if (response) cache.delete(request.url);
      return null;
    });
  });
}

function notKept() {
  var html = '<!doctype html><html lang="' + LANG + '"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>' + OFFLINE_TITLE + '</title></head>' +
    '<body><p data-testid="not-cached">' + NOT_CACHED + '</p><p><a href="' + MY_JOBS + '">' + MY_JOBS_LABEL + '</a></p></body></html>';
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
    return;
  }
  if (url.pathname === CATALOG) {
    // Network first (a language switch or a deploy changes it), the last answer when offline.
    event.respondWith(fetch(request).then(function (response) {
      if (keepable(response)) {
        var copy = response.clone();
        event.waitUntil(caches.open(CATALOG_CACHE).then(function (cache) { return cache.put(CATALOG, copy); }));
      }
      return response;
    }, function () {
      return caches.open(CATALOG_CACHE).then(function (cache) { return cache.match(CATALOG); })
        .then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (!isPage(request, url)) return;
  event.respondWith(fetch(request).then(function (response) {
    if (keepable(response)) event.waitUntil(keep(request, response.clone()));
    return response;
  }, function () {
    return keptToday(request).then(function (hit) {
      return hit || (request.mode === "navigate" ? notKept() : Response.error());
    });
  }));
});

/* The page lists what the technician will need today (its own address, each job, every report step, the
   van stock): fetched and kept here, so that it works also for a page this worker does not control yet
   (the first visit). Answers "kept" when done. */
self.addEventListener("message", function (event) {
  var urls = event.data && event.data.keep;
  if (!urls) return;
  event.waitUntil(Promise.all(urls.map(function (url) {
    var request = new Request(new URL(url, self.location.origin).href, { credentials: "same-origin" });
    return fetch(request).then(function (response) {
      if (keepable(response)) return keep(request, response);
    }).catch(function () { /* offline or refused: kept next time */ });
  })).then(function () {
    if (event.source) event.source.postMessage("kept");
  }));
});
