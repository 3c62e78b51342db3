#!/usr/bin/env bash
# A private PostgreSQL cluster for tests, under .run/pg of this checkout (never the system's cluster).
#
#   scripts/postgres.sh start   install Debian's postgresql if missing, init + start the cluster, create the
#                               database neurotriage_test, print its SQLAlchemy URL (the only line on stdout)
#   scripts/postgres.sh stop    stop the cluster (data stays, so the next start is quick)
#   scripts/postgres.sh url     print the SQLAlchemy URL
#
#   TEST_POSTGRES_URL=$(scripts/postgres.sh start) .venv/bin/python -m pytest tests/kb
#
# Port: env PG_PORT (default 55432). Listens on 127.0.0.1 with trust auth, and on a unix socket in the data
# dir: a throwaway test database, not for real data. Idempotent: start on a running cluster only prints the URL.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/pg_lib.sh
source "$ROOT/scripts/pg_lib.sh"
DATA_DIR="$(pg_data_dir "$ROOT" pg)"
LOG_FILE="$DATA_DIR/server.log"
PORT="${PG_PORT:-55432}"
DATABASE=neurotriage_test

say() { echo "postgres.sh: $*" >&2; }

install_postgres() {
  [ -n "$(pg_bin_dir)" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "PostgreSQL is not installed; run as root, or: sudo apt-get install -y postgresql"
    exit 1
  fi
  say "installing Debian's postgresql package..."
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
}

running_port() {
  # line 4 of postmaster.pid is the port of the running server
  sed -n 4p "$DATA_DIR/postmaster.pid" 2>/dev/null
}

is_running() {
  [ -f "$DATA_DIR/postmaster.pid" ] && as_postgres "$(pg_bin_dir)/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1
}

url() {
  local port="$PORT"
  if is_running; then port="$(running_port)"; fi
  echo "postgresql+psycopg2://postgres@127.0.0.1:${port}/${DATABASE}"
}

init_cluster() {
  [ -f "$DATA_DIR/PG_VERSION" ] && return 0
  say "creating a cluster in $DATA_DIR"
  mkdir -p "$DATA_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$DATA_DIR"
    [ "${DATA_DIR#"$ROOT"}" = "$DATA_DIR" ] || chmod o+x "$ROOT/.run"  # the postgres user must reach its data dir
  fi
  chmod 700 "$DATA_DIR"
  as_postgres "$(pg_bin_dir)/initdb" -D "$DATA_DIR" -U postgres -E UTF8 --no-locale \
    --auth-local=trust --auth-host=trust >&2
  # test cluster: loopback only, socket beside the data, no fsync (speed over durability)
  as_postgres tee -a "$DATA_DIR/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DATA_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

create_database() {
  local port exists
  port="$(running_port)"
  exists="$(as_postgres "$(pg_bin_dir)/psql" -h "$DATA_DIR" -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")"
  if [ "$exists" != "1" ]; then
    as_postgres "$(pg_bin_dir)/createdb" -h "$DATA_DIR" -p "$port" -U postgres "$DATABASE"
    say "created database $DATABASE"
  fi
}

start() {
  install_postgres
  init_cluster
  if ! is_running; then
    say "starting PostgreSQL on 127.0.0.1:$PORT (log: $LOG_FILE)"
    if ! as_postgres "$(pg_bin_dir)/pg_ctl" start -w -t 60 -D "$DATA_DIR" -l "$LOG_FILE" -o "-p $PORT" >&2; then
      say "PostgreSQL did not start; last log lines:"
      tail -n 20 "$LOG_FILE" >&2 || true
      exit 1
    fi
  fi
  create_database
  url
}

stop() {
  if [ -n "$(pg_bin_dir)" ] && is_running; then
    as_postgres "$(pg_bin_dir)/pg_ctl" stop -w -m fast -D "$DATA_DIR" >&2
  else
    say "not running"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
