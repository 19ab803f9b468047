/* The technician's app offline (served at /sw.js by tickets.pwa_views so that its scope is "/").

   Static files: kept at install, served from the cache first.
   Pages (我的任务, a job, its report steps, the van stock, photos): always asked of the network first;
   each answer is kept, stamped with the time, and given back when the network is gone, on that day
   only (a job list from yesterday would mislead). Writes are never touched here: the page's outbox
   (static/js/outbox.js) queues them in IndexedDB and sends them itself.

   Each page the technician opens lists the pages they will need offline (a message, below). A page
   kept less than FRESH_FOR ago, and after the last write to its job, is not fetched again: opening
   我的任务 twice renders no job page twice. */
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
// A kept page younger than this is not fetched again for the offline list (unless written since).
var FRESH_FOR = 5 * 60 * 1000;
// One job's pages (its detail, report steps, photos): a write to the job makes only these stale.
var JOB_PAGES = /^\/tickets\/\d+\//;
// When this device last wrote what (see noteWrite), kept across restarts of this worker.
var STATE_CACHE = "kept-state";
var WRITES_KEY = "/sw/writes";
// A write here (the language switch) changes every page.
var EVERY_PAGE = "/i18n/";

function today() {
  return new Date().toLocaleDateString("sv-SE");  // YYYY-MM-DD on the device's clock
}

function dayOf(time) {
  return new Date(time).toLocaleDateString("sv-SE");
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

/* Stamped with the time its fetch began, not ended: a write confirmed while it was under way may be
   missing from it, and noteWrite's time is later than that stamp. An answer that began earlier than
   the copy already kept (it was overtaken) does not replace it. */
function keep(url, response, fetchedAt) {
  return Promise.all([response.blob(), caches.open(PAGES_CACHE)]).then(function (opened) {
    var body = opened[0];
    var cache = opened[1];
    return cache.match(url).then(function (kept) {
      if (kept && keptAt(kept) > fetchedAt) return;
      var headers = new Headers(response.headers);
      headers.set("X-Kept-At", String(fetchedAt));
      return cache.put(url, new Response(body, { status: 200, headers: headers }));
    });
  });
}

function keptAt(response) {
  return Number(response.headers.get("X-Kept-At")) || 0;
}

function keptCopy(url) {
  return caches.open(PAGES_CACHE).then(function (cache) { return cache.match(url); });
}

function keptToday(request) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.match(request.url).then(function (response) {
      if (response && dayOf(keptAt(response)) === today()) return response;
      if (response) cache.delete(request.url);
      return null;
    });
  });
}

// ---- writes: what they make stale ---------------------------------------------------------------
/* {"/tickets/7/": time, "*": time, "all": time}: the last write this device made to a job, to anything,
   and the last that changes every page. A job's pages are stale after a write to that job; the other
   pages (我的任务, the van stock) sum up many jobs and are stale after any write; every page is stale
   after a language switch (a copy kept in the other language must not be given back). */
var writes = {};
var writesLoaded = null;
/* Once per start of this worker. Everything reading or noting writes waits on this one promise, so a
   write noted first is seen by a list that arrives after it. */
function loadWrites() {
  writesLoaded = writesLoaded || caches.open(STATE_CACHE).then(function (cache) { return cache.match(WRITES_KEY); })
    .then(function (hit) { return hit ? hit.json() : {}; })
    .catch(function () { return {}; })
    .then(function (stored) { writes = stored; return writes; });
  return writesLoaded;
}

function noteWrite(path) {
  var now = Date.now();
  return loadWrites().then(function (known) {
    Object.keys(known).forEach(function (key) { if (now - known[key] > FRESH_FOR) delete known[key]; });
    known["*"] = now;
    if (path.indexOf(EVERY_PAGE) === 0) known.all = now;
    var job = path.match(JOB_PAGES);
    if (job) known[job[0]] = now;
    return caches.open(STATE_CACHE).then(function (cache) {
      return cache.put(WRITES_KEY, new Response(JSON.stringify(known)));
    });
  });
}

function writtenAt(url) {
  var job = new URL(url).pathname.match(JOB_PAGES);
  return Math.max((job ? writes[job[0]] : writes["*"]) || 0, writes.all || 0);
}

function fresh(copy, url) {
  var at = keptAt(copy);
  return at > writtenAt(url) && Date.now() - at < FRESH_FOR;
}

// ---- fetching a page: one fetch of a URL at a time ---------------------------------------------------
/* url -> {at: when its fetch under way began, kept: a promise of whether it kept a copy}. The list of
   pages to keep comes from every page opened (two quick openings send it twice) and the technician may
   open a page that is being kept: whoever comes second waits for that fetch instead of making another. */
var fetching = {};

function fetchAndKeep(request) {
  var url = request.url;
  var under = { at: Date.now() };
  var answer = fetch(request);
  under.kept = answer.then(function (response) {
    return keepable(response) && keep(url, response.clone(), under.at).then(function () { return true; });
  }).catch(function () { return false; }).then(function (kept) {
    if (fetching[url] === under) delete fetching[url];
    return kept;
  });
  fetching[url] = under;
  return answer;
}

/* A page or photo the technician opens: the network's answer, or the copy a fetch under way keeps (it
   began moments ago, as new as ours would be, unless a write came after it: a form sent the usual way
   comes back to its page). */
function networkFirst(request) {
  var under = fetching[request.url];
  if (!under || under.at <= writtenAt(request.url)) return fetchAndKeep(request);
  return under.kept.then(function (kept) { return kept ? keptCopy(request.url) : null; })
    .then(function (copy) { return copy || networkFirst(request); });
}

/* A page for the offline list: fetched unless a fresh copy is kept or its fetch is under way. */
function keepFresh(url) {
  return keptCopy(url).then(function (copy) {
    if (copy && fresh(copy, url)) return true;
    // Checked again after the cache's answer: another list may have started this fetch meanwhile.
    if (!fetching[url]) fetchAndKeep(new Request(url, { credentials: "same-origin" })).catch(function () {});
    return fetching[url].kept;
  });
}

/* 我的任务 lists every job of the technician: the pages of the others (finished, given to someone
   else) are dropped, and so is whatever was kept before today. */
function dropOldPages(urls) {
  var jobs = urls.map(function (url) { var job = new URL(url).pathname.match(JOB_PAGES); return job && job[0]; });
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.map(function (request) {
        var job = new URL(request.url).pathname.match(JOB_PAGES);
        if (job && jobs.indexOf(job[0]) < 0) return cache.delete(request);
        return cache.match(request).then(function (copy) {
          if (copy && dayOf(keptAt(copy)) !== today()) return cache.delete(request);
        });
      }));
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
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    // A form sent the usual way (the outbox also says when the server confirmed its own: see "written").
    event.waitUntil(noteWrite(url.pathname));
    return;
  }
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
  var answer = networkFirst(request);
  // The worker stays up until the copy is kept.
  event.waitUntil(answer.then(function () { return fetching[request.url] && fetching[request.url].kept; }, function () {}));
  event.respondWith(answer.catch(function () {
    return keptToday(request).then(function (hit) {
      return hit || (request.mode === "navigate" ? notKept() : Response.error());
    });
  }));
});

/* Messages from the pages (static/js/outbox.js):
   {written: [url, …]}: the server confirmed these writes (sent by the outbox): the pages they change
   are stale from now on.
   {keep: [url, …], jobs: true|false}: what the technician will need offline today (each job, every
   report step, the van stock), fetched here unless fresh, which also covers a page this worker does
   not control yet (the first visit). `jobs`: the list is 我的任务's, every job of the technician.
   Answers "kept" when done. */
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.written) {
    event.waitUntil(Promise.all(data.written.map(function (url) {
      return noteWrite(new URL(url, self.location.origin).pathname);
    })));
  }
  if (!data.keep) return;
  var urls = data.keep.map(function (url) { return new URL(url, self.location.origin).href; });
  event.waitUntil(loadWrites().then(function () {
    return Promise.all(urls.map(function (url) { return keepFresh(url).catch(function () {}); }));
  }).then(function () {
    if (data.jobs) return dropOldPages(urls);
  }).then(function () {
    if (event.source) event.source.postMessage("kept");
  }));
});
