#!/usr/bin/env bash
# Start the machine's PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) when they are installed but
# not running, and wait for them. Used by CI (.ci/run), `make bench` and `make soak`.
# The streaming read replica on 127.0.0.1:5433 is scripts/replica.sh's (tests/integration/test_read_replica.py
# runs it when the replica is absent; it allows replication connections in pg_hba.conf once).
set -euo pipefail

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "Starting PostgreSQL…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || {
    echo "PostgreSQL is not running on 127.0.0.1:5432 and could not be started (apt install postgresql)." >&2
    exit 1
  }
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null; then
    echo "Starting Redis…"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || {
    echo "Redis is not running on 127.0.0.1:6379 and could not be started (apt install redis-server)." >&2
    exit 1
  }
fi
