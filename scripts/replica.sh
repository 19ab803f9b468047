#!/usr/bin/env bash
# A streaming read replica of the machine's PostgreSQL (127.0.0.1:5432) on 127.0.0.1:${REPLICA_PORT:-5433},
# for REPLICA_DATABASE_URL (tests/integration/test_read_replica.py, `make scale`). Idempotent: a replica already streaming is left
# alone; one that is stopped is started; one that no longer streams (it fell behind the primary's WAL,
# or its data directory is gone) is made again with pg_basebackup.
#
# What it changes on the primary, once: a `host replication all 127.0.0.1/32 trust` line in pg_hba.conf
# (reloaded), so that pg_basebackup and the replica's WAL receiver may connect. wal_level=replica and
# max_wal_senders>0 are PostgreSQL's defaults; the script stops with a message if they were lowered.
#
# And, once, wal_keep_size=512MB (ALTER SYSTEM, reloaded) if it was 0: a primary that checkpoints often (every
# CREATE/DROP DATABASE of a test run does) otherwise recycles the WAL a new or briefly disconnected replica
# still needs ("requested WAL segment … has already been removed"). No replication slot: a stopped
# replica must not make the primary keep WAL without bound.
#
# Runs as root (it switches to the postgres user) or as postgres. The replica's data directory is
# /var/lib/postgresql/<major>/replica-<port>, its log replica.log in it.
#
# With REPLICA_SLOT=1 the replica streams through a physical replication slot on the primary
# (aftersales_replica_<port>), so a primary writing WAL fast (other test runs creating databases) cannot
# recycle what the new replica still needs; `make scale` uses it, for a replica it removes at the end.
# `scripts/replica.sh remove` stops the replica on that port, deletes its data directory and drops its slot
# (`make scale` cleans up this way); the primary's settings above stay.
set -euo pipefail

PRIMARY_HOST=127.0.0.1
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PORT=${REPLICA_PORT:-5433}
LOCK=/tmp/aftersales-replica-${PORT}.lock

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
primary_sql() { psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -XAtqc "$1"; }
replica_sql() { psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -XAtqc "$1" 2>/dev/null; }
streaming() { [ "$(replica_sql "SELECT status FROM pg_stat_wal_receiver")" = streaming ]; }
# A standby accepts connections once it has a consistent snapshot of the primary's transactions: a long
# transaction with many savepoints open on the primary (a busy test run) can hold that back for minutes.
wait_streaming() {
  for _ in $(seq "${READY_SECONDS:-300}"); do streaming && return 0; sleep 1; done
  return 1
}

if [ "$(id -un)" != root ] && [ "$(id -un)" != postgres ]; then
  echo "scripts/replica.sh must run as root or postgres (it starts a PostgreSQL cluster)." >&2
  exit 1
fi
pg_isready -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -q || {
  echo "The primary PostgreSQL does not answer on $PRIMARY_HOST:$PRIMARY_PORT (scripts/services.sh)." >&2
  exit 1
}

# One run at a time on this machine (two test sessions may ask for the replica together).
exec 9>"$LOCK"
flock 9

MAJOR=$(primary_sql "SELECT current_setting('server_version_num')::int / 10000")
BIN=/usr/lib/postgresql/$MAJOR/bin
[ -x "$BIN/pg_ctl" ] || BIN=$(dirname "$(command -v pg_ctl || command -v pg_basebackup)")
DATA=/var/lib/postgresql/$MAJOR/replica-$PORT
LOG=$DATA/replica.log

if [ "${1:-}" = remove ]; then
  if [ -f "$DATA/postmaster.pid" ]; then
    as_postgres "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 ||
      as_postgres "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DATA"
  primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
    WHERE slot_name = 'aftersales_replica_$PORT' AND NOT active" >/dev/null
  echo "Replica on 127.0.0.1:$PORT stopped and removed."
  exit 0
fi

if streaming; then
  echo "Replica streaming on 127.0.0.1:$PORT."
  exit 0
fi

if [ "$(primary_sql "SHOW wal_level")" = minimal ] || [ "$(primary_sql "SHOW max_wal_senders")" = 0 ]; then
  echo "The primary cannot stream: set wal_level=replica and max_wal_senders>0, then restart it." >&2
  exit 1
fi
if [ "$(primary_sql "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database)
      AND address = '127.0.0.1' AND auth_method = 'trust'")" = 0 ]; then
  HBA=$(primary_sql "SHOW hba_file")
  echo "Allowing replication connections from 127.0.0.1 in $HBA."
  # First in the file: pg_hba.conf is read top down and the first matching line wins.
  sed -i '1i host replication all 127.0.0.1/32 trust  # aftersales scripts/replica.sh' "$HBA"
  primary_sql "SELECT pg_reload_conf()" >/dev/null
fi

running() { as_postgres "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }
start() {
  echo "Starting the replica on 127.0.0.1:$PORT…"
  # -W: do not wait here for connections (wait_streaming does); 9>&-: the server must not keep the lock.
  as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -W start >/dev/null 9>&-
}

if [ "$(primary_sql "SHOW wal_keep_size")" = 0 ]; then
  echo "Keeping 512MB of WAL on the primary for the replica (wal_keep_size)."
  primary_sql "ALTER SYSTEM SET wal_keep_size = '512MB'" >/dev/null
  primary_sql "SELECT pg_reload_conf()" >/dev/null
fi

# A directory that exists but does not stream: start it if it is stopped and wait for it; make it again
# only if it cannot run or no longer can catch up (the primary has recycled the WAL it needs).
if [ -f "$DATA/standby.signal" ]; then
  running || start || true
  sleep 1
  if running && wait_streaming; then
    echo "Replica streaming on 127.0.0.1:$PORT."
    exit 0
  fi
  if running && ! grep -q "has already been removed" "$LOG"; then
    echo "The replica in $DATA runs but is not ready to read yet (see $LOG)." >&2
    exit 1
  fi
  echo "The replica in $DATA cannot catch up (see $LOG): making it again."
  as_postgres "$BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
fi

echo "Copying the primary into $DATA (pg_basebackup)…"
rm -rf "$DATA"
install -d -m 700 -o postgres -g postgres "$DATA"
SLOT=()
if [ -n "${REPLICA_SLOT:-}" ]; then
  primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
    WHERE slot_name = 'aftersales_replica_$PORT' AND NOT active" >/dev/null
  SLOT=(-C -S "aftersales_replica_$PORT")
fi
as_postgres "$BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -D "$DATA" -R -X stream -c fast "${SLOT[@]}"
# Debian keeps the configuration outside the data directory, so the copy has none: give it its own.
as_postgres tee "$DATA/postgresql.conf" >/dev/null <<EOF
# aftersales scripts/replica.sh: a hot standby of $PRIMARY_HOST:$PRIMARY_PORT
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/var/run/postgresql'
hot_standby = on
hot_standby_feedback = on
shared_buffers = 64MB
EOF
# A hot standby needs at least the primary's values of these, else it pauses instead of serving reads.
for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
  echo "$setting = $(primary_sql "SHOW $setting")" | as_postgres tee -a "$DATA/postgresql.conf" >/dev/null
done
as_postgres tee "$DATA/pg_hba.conf" >/dev/null <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
as_postgres touch "$DATA/pg_ident.conf"
start
wait_streaming || {
  echo "The replica started but does not stream from the primary (see $LOG)." >&2
  exit 1
}
echo "Replica streaming on 127.0.0.1:$PORT."
