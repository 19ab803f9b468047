"""gunicorn settings for every way the app is served (Dockerfile, scripts/run.sh, loadtest/stack.py):
`gunicorn aftersales.wsgi --config python:aftersales.gunicorn_conf …`.

No `Server: gunicorn` banner: it tells a scanner which exploits to try and a user nothing. gunicorn has no
setting for it (benoitc/gunicorn#825), so its response headers are filtered here, in the master, before
the workers fork.

Metrics: with PROMETHEUS_MULTIPROC_DIR set, each worker writes its values into that folder and a scrape
adds them up (aftersales.metrics); a worker that exits is marked dead there, so gauges of live processes
leave it with the process (counters and histograms keep counting: they are totals).

Garbage collection: once a worker has loaded the app, its objects (modules, URL patterns, templates,
translations: most of the heap, and never garbage) are frozen out of the collector's reach, so a full
collection walks only what requests made — without it one request in ~200 paid a 105–130 ms pause
(docs/performance.md, "Throughput").

Workers and threads: chosen by measurement on 2 cores beside PostgreSQL (docs/performance.md, "Serving
set-up" and "Ninth round"): sync workers, one request each at a time, one per core and one more. Threads of
one process share its interpreter lock, so a page waited for the others its worker had taken on, whereas a
sync worker takes a connection only when it is free: the same requests per second as 2 × 4 threads, a third
less at p95. Three workers on 2 cores did better at p95 than four (more pages sharing the two cores at once)
and than two (a core idle while a worker waits for PostgreSQL). WEB_WORKERS and WEB_THREADS change them
(one thread: gunicorn's sync worker, more: gthread).

Timeout: a sync worker busy past it is restarted, so it must outlast the longest request, a spreadsheet
export streamed to the client; production puts a buffering proxy in front (README, "Deploying with
docker-compose"), which also keeps a slow client from holding a worker.
"""

import gc
import os

from gunicorn.http import wsgi
from prometheus_client import multiprocess

from aftersales.env import env_int

workers = env_int("WEB_WORKERS", (os.cpu_count() or 1) + 1)
threads = env_int("WEB_THREADS", 1)
timeout = env_int("WEB_TIMEOUT", 120)  # seconds

_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(response) -> list[str]:
    return [header for header in _default_headers(response) if not header.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    gc.collect()
    gc.freeze()
