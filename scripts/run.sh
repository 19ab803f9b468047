#!/usr/bin/env bash
# `make run`: web (gunicorn), two Celery workers (alerts, reports) and beat on the embedded default, stopped together.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin
PORT="${PORT:-8000}"
# The demo superuser's password is public: only this machine can reach the app unless HOST=0.0.0.0 says so.
HOST="${HOST:-127.0.0.1}"
mkdir -p var/broker/out var/broker/processed var/broker/control
if [ -z "${SECRET_KEY:-}" ]; then
  [ -s var/secret_key ] || "$PY/python" -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
  SECRET_KEY="$(cat var/secret_key)"
  export SECRET_KEY
fi
"$PY/python" manage.py migrate --no-input -v 0
"$PY/python" manage.py compilemessages -v 0 --ignore=.venv
"$PY/python" manage.py collectstatic --no-input -v 0
"$PY/python" manage.py seed_demo

# /metrics adds up the values every process (gunicorn's workers, the Celery worker) writes here; emptied
# before they start, never while they run (aftersales/metrics.py). Scrape it with METRICS_TOKEN set.
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-$PWD/var/prometheus}"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR" && find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -delete
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
# Two workers: alerts and the rest on one, reports and exports on their own, so a long export never
# delays an SLA alert or a text message (CELERY_TASK_ROUTES in aftersales/settings.py).
"$PY/celery" -A aftersales worker --queues=alerts,default --hostname=alerts@%h --loglevel=WARNING --concurrency=2 > var/worker.log 2>&1 & pids+=($!)
"$PY/celery" -A aftersales worker --queues=reports --hostname=reports@%h --loglevel=WARNING --concurrency=1 > var/worker-reports.log 2>&1 & pids+=($!)
"$PY/celery" -A aftersales beat --loglevel=WARNING > var/beat.log 2>&1 & pids+=($!)
"$PY/gunicorn" aftersales.wsgi --config python:aftersales.gunicorn_conf --bind "$HOST:$PORT" --access-logfile - > var/web.log 2>&1 & pids+=($!)
sleep 2
cat <<MSG

  aftersales is running at http://$HOST:$PORT/   (API docs: http://$HOST:$PORT/api/docs)
  Probes: http://$HOST:$PORT/healthz, http://$HOST:$PORT/readyz; metrics at /metrics when METRICS_TOKEN is set.
  Worker and beat logs: var/worker.log (alerts), var/worker-reports.log (reports, exports), var/beat.log;
  web log: var/web.log. Ctrl-C stops them all.
  Customers' channel: http://$HOST:$PORT/p/ (a customer's phone from /customers/); the demo SMS,
  sign-in codes included, are written to var/worker.log: grep -A1 "SMS to" var/worker.log

  Demo logins (password: ${DEMO_PASSWORD:-demo12345}):
    admin        系统管理员 (headquarters, Django admin at /admin/)
    dispatcher   客服/调度 (上海)        technician   技术员 (上海)
    supervisor   服务主任 (上海)         warehouse    库管 (上海)
    finance      会计 (上海)             manager      服务部经理 (上海)
    gm           总经理 (headquarters)
MSG
wait -n "${pids[@]}"
echo "A process stopped; see var/*.log" >&2
exit 1
