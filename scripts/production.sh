#!/usr/bin/env bash
# The production shape on one machine: PostgreSQL (tracker store, knowledge base, records), Redis (lock store),
# the action server with several workers, two Rasa instances, the clinic page and the staff view, all behind nginx.
# docs/production.md explains each process and setting.
#
#   scripts/production.sh start            install what is missing (apt-get), start everything, wait until it answers
#   scripts/production.sh stop             stop everything that `start` started
#   scripts/production.sh status           what runs: pid, resident memory and address of each process
#   scripts/production.sh env              shell exports for tests and benchmarks: PRODUCTION_URL (nginx),
#                                          PRODUCTION_RASA_URLS (the instances, comma-separated), PRODUCTION_DIR
#   scripts/production.sh restart-rasa N   start Rasa instance N (1 or 2) again, e.g. after a test stopped it
#
# Ports (environment, defaults in brackets): PRODUCTION_HTTP_PORT nginx [8088], PRODUCTION_RASA1_PORT [5705],
# PRODUCTION_RASA2_PORT [5706], PRODUCTION_ACTION_PORT [5755], PRODUCTION_REDIS_PORT [56379],
# PRODUCTION_WEB_PORT [8188], PRODUCTION_STAFF_PORT [8198], PRODUCTION_PG_PORT [55433].
# PRODUCTION_ACTION_WORKERS [2] is the number of action-server worker processes; PRODUCTION_PUBLIC_URL
# [http://127.0.0.1:PRODUCTION_HTTP_PORT] is the address patients' browsers use.
# PostgreSQL is a cluster of its own in .run/pg-production (or its /var/tmp stand-in, see scripts/pg_lib.sh), not
# the test cluster of scripts/postgres.sh, which `make test` stops when it ends; TCP connections need a password.
# Secrets (database and Redis passwords) are generated once into .run/production/secrets.env (mode 600, git-ignored).
# `make run` (SQLite, one Rasa process) is not touched by any of this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
STATE="$ROOT/.run/production"
LOGS="$STATE/logs"
NGINX_DIR="$ROOT/.run/nginx"
REDIS_DIR="$ROOT/.run/redis"
# shellcheck source=scripts/pg_lib.sh
source "$ROOT/scripts/pg_lib.sh"
PG_DIR="$(pg_data_dir "$ROOT" pg-production)"
mkdir -p "$STATE" "$LOGS"
chmod 700 "$STATE"

say() { echo "production.sh: $*" >&2; }

# --- settings --------------------------------------------------------------------------------------------------
# The ports of a running shape are kept in state.env, so stop/status/env/restart-rasa use the ports it started with.
load_ports() {
    if [ "${1:-}" = saved ] && [ -f "$STATE/state.env" ]; then
        # shellcheck disable=SC1091
        source "$STATE/state.env"
        return
    fi
    HTTP_PORT=${PRODUCTION_HTTP_PORT:-8088}
    RASA1_PORT=${PRODUCTION_RASA1_PORT:-5705}
    RASA2_PORT=${PRODUCTION_RASA2_PORT:-5706}
    ACTION_PORT=${PRODUCTION_ACTION_PORT:-5755}
    ACTION_WORKERS=${PRODUCTION_ACTION_WORKERS:-2}
    REDIS_PORT=${PRODUCTION_REDIS_PORT:-56379}
    WEB_PORT_P=${PRODUCTION_WEB_PORT:-8188}
    STAFF_PORT_P=${PRODUCTION_STAFF_PORT:-8198}
    PG_PORT_P=${PRODUCTION_PG_PORT:-55433}
    PUBLIC_URL=${PRODUCTION_PUBLIC_URL:-http://127.0.0.1:$HTTP_PORT}
}

save_ports() {
    cat > "$STATE/state.env" <<EOF
HTTP_PORT=$HTTP_PORT
RASA1_PORT=$RASA1_PORT
RASA2_PORT=$RASA2_PORT
ACTION_PORT=$ACTION_PORT
ACTION_WORKERS=$ACTION_WORKERS
REDIS_PORT=$REDIS_PORT
WEB_PORT_P=$WEB_PORT_P
STAFF_PORT_P=$STAFF_PORT_P
PG_PORT_P=$PG_PORT_P
PUBLIC_URL=$PUBLIC_URL
EOF
}

rasa_port() { if [ "$1" = 1 ]; then echo "$RASA1_PORT"; else echo "$RASA2_PORT"; fi; }

random_secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

load_secrets() {
    if [ ! -f "$STATE/secrets.env" ]; then
        (umask 077; printf 'PRODUCTION_PG_PASSWORD=%s\nPRODUCTION_REDIS_PASSWORD=%s\n' "$(random_secret)" "$(random_secret)" \
            > "$STATE/secrets.env")
        say "generated the database and Redis passwords into $STATE/secrets.env"
    fi
    # shellcheck disable=SC1091
    source "$STATE/secrets.env"
}

# Everything the servers read, pointed at PostgreSQL and Redis. The process environment beats .env in
# neurotriage.config, so these override the SQLite defaults for the processes started here only.
export_production_settings() {
    local pg="postgresql+psycopg2://neurotriage:${PRODUCTION_PG_PASSWORD}@127.0.0.1:${PG_PORT_P}"
    export DATABASE_URL="$pg/neurotriage_kb"
    export TRACKER_STORE_URL="$pg/neurotriage_tracker"
    export RECORDS_DATABASE_URL="$pg/neurotriage_records"
    export LOCK_STORE_URL="redis://:${PRODUCTION_REDIS_PASSWORD}@127.0.0.1:${REDIS_PORT}/0"
    export ACTION_SERVER_URL="http://127.0.0.1:${ACTION_PORT}/webhook"
    export RASA_HOST=127.0.0.1 RASA_PORT="$RASA1_PORT" ACTION_SERVER_PORT="$ACTION_PORT"
    export WEB_HOST=127.0.0.1 WEB_PORT="$WEB_PORT_P" STAFF_HOST=127.0.0.1 STAFF_PORT="$STAFF_PORT_P"
    export RASA_SOCKET_URL="$PUBLIC_URL"
    # Rasa's SQL tracker store opens up to 50 + 100 connections per process by default; a few are plenty here.
    export POSTGRESQL_POOL_SIZE=${POSTGRESQL_POOL_SIZE:-5} POSTGRESQL_MAX_OVERFLOW=${POSTGRESQL_MAX_OVERFLOW:-10}
    export ACTION_SERVER_HOST=127.0.0.1 ACTION_SERVER_WORKERS="$ACTION_WORKERS"
    # the settings with defaults filled in, and LOCK_STORE_PASSWORD, which .run/production/endpoints.yml names
    eval "$(python -m neurotriage.config env)"
}

# --- packages ----------------------------------------------------------------------------------------------------
apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        say "$* missing: run as root, or: sudo apt-get install -y $*"
        exit 1
    fi
    say "installing Debian's $* ..."
    # Installing must not start the system-wide services (they would take ports 80 and 6379): policy-rc.d says no.
    local added_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added_policy=1
    fi
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } > "$LOGS/apt.log" 2>&1 \
        || { [ -z "$added_policy" ] || rm -f /usr/sbin/policy-rc.d; tail -n 20 "$LOGS/apt.log" >&2; say "apt-get failed: see $LOGS/apt.log"; exit 1; }
    [ -z "$added_policy" ] || rm -f /usr/sbin/policy-rc.d
}

ensure_packages() {
    local missing=()
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
    [ -n "$(pg_bin_dir)" ] || missing+=(postgresql)
    [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

nginx_bin() { command -v nginx 2>/dev/null || echo /usr/sbin/nginx; }

# --- processes -----------------------------------------------------------------------------------------------------
# Each server runs in its own session (setsid), so stopping it stops its workers too, and Ctrl-C in the terminal that
# ran `start` does not reach it. Its pid is in .run/production/NAME.pid.
alive() {  # alive PID: the process exists and is not a zombie (which has stopped and waits to be reaped)
    local state
    state=$(sed -E 's/.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

pid_of() {  # pid_of NAME: the pid when that process still runs, else nothing
    local file="$STATE/$1.pid" pid
    [ -f "$file" ] || return 0
    pid=$(cat "$file")
    if [ -n "$pid" ] && alive "$pid"; then echo "$pid"; fi
}

launch() {  # launch NAME LOGFILE COMMAND...: starts COMMAND in the background in its own session
    local name=$1 log=$2; shift 2
    setsid "$@" > "$log" 2>&1 < /dev/null &
    echo $! > "$STATE/$name.pid"
}

stop_process() {  # stop_process NAME: SIGTERM to its process group, SIGKILL after 30 s
    local name=$1 pid
    pid=$(pid_of "$name")
    if [ -z "$pid" ]; then rm -f "$STATE/$name.pid"; return 0; fi
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
        alive "$pid" || break
        sleep 0.5
    done
    if alive "$pid"; then
        say "$name (pid $pid) did not stop within 30 s: killing it"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$STATE/$name.pid"
    say "stopped $name"
}

port_busy() { (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until NAME URL: polls until URL answers 2xx, the process dies, or 240 s pass
wait_until() {
    local name=$1 url=$2
    for _ in $(seq 1 480); do
        if curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null; then return 0; fi
        if [ -z "$(pid_of "$name")" ]; then
            say "$name stopped while starting; the end of its log:"
            tail -n 30 "$LOGS/$name.log" >&2 || true
            return 1
        fi
        sleep 0.5
    done
    say "$name did not answer at $url within 240 s (log: $LOGS/$name.log)"
    return 1
}

# --- PostgreSQL and Redis ----------------------------------------------------------------------------------------
postgres_pid() {
    local pid
    pid=$(sed -n 1p "$PG_DIR/postmaster.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && alive "$pid"; then echo "$pid"; fi
}

start_postgres() {
    if [ ! -f "$PG_DIR/PG_VERSION" ]; then
        say "creating a PostgreSQL cluster in $PG_DIR"
        mkdir -p "$PG_DIR"
        if [ "$(id -u)" -eq 0 ]; then
            chown postgres:postgres "$PG_DIR"
            chmod o+x "$(dirname "$PG_DIR")"  # the postgres user must reach its data folder
        fi
        chmod 700 "$PG_DIR"
        # TCP connections need a password (scram-sha-256); the unix socket lives in the data folder, which only the
        # cluster's owner can enter, and is how this script administers the cluster.
        as_postgres "$(pg_bin_dir)/initdb" -D "$PG_DIR" -U postgres -E UTF8 --no-locale \
            --auth-local=trust --auth-host=scram-sha-256 > "$LOGS/initdb.log" 2>&1 \
            || { cat "$LOGS/initdb.log" >&2; say "initdb failed"; exit 1; }
        as_postgres tee -a "$PG_DIR/postgresql.conf" > /dev/null <<EOF
# scripts/production.sh: loopback only, the socket beside the data
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
password_encryption = 'scram-sha-256'
max_connections = 200
EOF
    fi
    if [ -z "$(postgres_pid)" ]; then
        as_postgres "$(pg_bin_dir)/pg_ctl" start -w -t 60 -D "$PG_DIR" -l "$PG_DIR/server.log" -o "-p $PG_PORT_P" > /dev/null \
            || { as_postgres tail -n 20 "$PG_DIR/server.log" >&2; say "PostgreSQL did not start"; exit 1; }
    fi
    # A role of its own with a password, owning three databases: the conversations, the clinical content, and the
    # triage records (patient data, kept apart).
    local psql=(as_postgres "$(pg_bin_dir)/psql" -h "$PG_DIR" -p "$PG_PORT_P" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
    "${psql[@]}" -v password="$PRODUCTION_PG_PASSWORD" > /dev/null <<'SQL'
SELECT format(CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'neurotriage')
                   THEN 'ALTER ROLE neurotriage LOGIN PASSWORD %L' ELSE 'CREATE ROLE neurotriage LOGIN PASSWORD %L' END,
              :'password') \gexec
SQL
    local database
    for database in neurotriage_tracker neurotriage_kb neurotriage_records; do
        if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]; then
            "${psql[@]}" -c "CREATE DATABASE $database OWNER neurotriage" > /dev/null
            say "created database $database"
        fi
    done
}

stop_postgres() {
    if [ -n "$(postgres_pid)" ]; then
        as_postgres "$(pg_bin_dir)/pg_ctl" stop -w -m fast -D "$PG_DIR" > /dev/null && say "stopped postgres"
    fi
}

start_redis() {
    if [ -n "$(pid_of redis)" ]; then return 0; fi
    mkdir -p "$REDIS_DIR"
    chmod 700 "$REDIS_DIR"
    # The password goes into a file only this user reads, never onto a command line.
    (umask 077; cat > "$REDIS_DIR/redis.conf") <<EOF
# Written by scripts/production.sh: Rasa's lock store. Locks live seconds, so nothing is persisted.
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
requirepass $PRODUCTION_REDIS_PASSWORD
daemonize no
dir $REDIS_DIR
save ""
appendonly no
maxmemory 64mb
maxmemory-policy noeviction
loglevel notice
EOF
    launch redis "$LOGS/redis.log" redis-server "$REDIS_DIR/redis.conf"
    for _ in $(seq 1 40); do
        if REDISCLI_AUTH="$PRODUCTION_REDIS_PASSWORD" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
            return 0
        fi
        sleep 0.25
    done
    tail -n 20 "$LOGS/redis.log" >&2
    say "Redis did not answer on port $REDIS_PORT"
    exit 1
}

# --- the servers ---------------------------------------------------------------------------------------------------
start_actions() {
    [ -z "$(pid_of actions)" ] || return 0
    # NeuroTriage's action server: rasa_sdk's app behind the shared secret, ACTION_SERVER_WORKERS processes on one port
    launch actions "$LOGS/actions.log" python -m neurotriage.action_server
}

start_rasa() {  # start_rasa N
    local n=$1 port
    port=$(rasa_port "$n")
    [ -z "$(pid_of "rasa-$n")" ] || return 0
    launch "rasa-$n" "$LOGS/rasa-$n.log" python -m neurotriage.rasa_runtime run --model "$MODEL_PATH" \
        --endpoints "$STATE/endpoints.yml" --credentials "$STATE/credentials.yml" \
        --interface 127.0.0.1 --port "$port" --enable-api --cors "$PUBLIC_URL"
}

start_web() {
    [ -z "$(pid_of web)" ] || return 0
    launch web "$LOGS/web.log" python -m web.server
}

start_staff() {
    [ -z "$(pid_of staff)" ] || return 0
    if [ -z "${STAFF_TOKEN:-}" ]; then say "STAFF_TOKEN is not set: the staff view does not start"; return 0; fi
    launch staff "$LOGS/staff.log" python -m neurotriage.staff
}

render_nginx() {
    mkdir -p "$NGINX_DIR/logs" "$NGINX_DIR/temp"
    local user_line="" template="$ROOT/deploy/nginx.conf.template"
    if [ "$(id -u)" -eq 0 ]; then
        # nginx's workers drop root; they need to reach .run/nginx/temp only (the master opens the logs).
        local worker_user=www-data
        id -u "$worker_user" >/dev/null 2>&1 || worker_user=nobody
        user_line="user $worker_user;"
        chmod o+x "$ROOT/.run" "$NGINX_DIR"
        chown -R "$worker_user" "$NGINX_DIR/temp"
    fi
    sed -e "s|{{PREFIX}}|$NGINX_DIR|g" -e "s|{{USER}}|$user_line|g" -e "s|{{HTTP_PORT}}|$HTTP_PORT|g" \
        -e "s|{{RASA1}}|127.0.0.1:$RASA1_PORT|g" -e "s|{{RASA2}}|127.0.0.1:$RASA2_PORT|g" \
        -e "s|{{WEB}}|127.0.0.1:$WEB_PORT_P|g" -e "s|{{STAFF}}|127.0.0.1:$STAFF_PORT_P|g" \
        "$template" > "$NGINX_DIR/nginx.conf"
    "$(nginx_bin)" -t -q -p "$NGINX_DIR" -c nginx.conf -e "$NGINX_DIR/logs/error.log" \
        || { say "the nginx configuration does not validate: $NGINX_DIR/nginx.conf"; exit 1; }
}

start_nginx() {
    [ -z "$(pid_of nginx)" ] || return 0
    render_nginx
    launch nginx "$LOGS/nginx.log" "$(nginx_bin)" -p "$NGINX_DIR" -c nginx.conf -e "$NGINX_DIR/logs/error.log"
}

# --- commands ----------------------------------------------------------------------------------------------------
prepare() {
    # venv, .env, knowledge base, spaCy pipeline and model, exactly as `make run` prepares them (with its SQLite
    # settings: the PostgreSQL and Redis settings are exported after, for the processes started here only).
    # Its copies of Rasa's endpoints and credentials go to .run/production/ and are rewritten below.
    export GENERATED_CONFIG_DIR="$STATE"
    # shellcheck disable=SC1091
    source scripts/prepare.sh
    load_secrets
}

production_config() {
    export_production_settings
    python -m neurotriage.config check || exit 1
    # the knowledge base in PostgreSQL (skipped when the content is unchanged)
    python -m neurotriage.kb load --database-url "$DATABASE_URL" > "$LOGS/kb-load.log" 2>&1 \
        || { cat "$LOGS/kb-load.log" >&2; exit 1; }
    # Rasa's endpoints (PostgreSQL tracker store, Redis lock store) and credentials, written beside the other state so
    # the files that `make run` and `make test` use (.run/) are left alone. Secrets stay ${VARIABLE} references.
    python -m neurotriage.config credentials "$STATE" || exit 1
}

check_ports_free() {
    local name port busy=()
    for name in HTTP_PORT RASA1_PORT RASA2_PORT ACTION_PORT REDIS_PORT WEB_PORT_P STAFF_PORT_P PG_PORT_P; do
        port=${!name}
        if port_busy "$port"; then busy+=("$port"); fi
    done
    if [ ${#busy[@]} -gt 0 ]; then
        say "port(s) ${busy[*]} already in use: stop what uses them, or choose others (PRODUCTION_*_PORT, see the top of this script)"
        exit 1
    fi
}

cmd_start() {
    if [ -n "$(pid_of nginx)$(pid_of rasa-1)$(pid_of rasa-2)$(pid_of actions)" ]; then
        load_ports saved
        say "already running (scripts/production.sh status); starting what is missing"
    else
        load_ports
        check_ports_free
    fi
    save_ports
    ensure_packages
    prepare
    start_postgres
    start_redis
    production_config
    local started
    started=$(date +%s)
    start_actions
    wait_until actions "http://127.0.0.1:$ACTION_PORT/health" || { cmd_stop; exit 1; }
    start_rasa 1
    start_rasa 2
    start_web
    start_staff
    wait_until rasa-1 "http://127.0.0.1:$RASA1_PORT/" || { cmd_stop; exit 1; }
    wait_until rasa-2 "http://127.0.0.1:$RASA2_PORT/" || { cmd_stop; exit 1; }
    wait_until web "http://127.0.0.1:$WEB_PORT_P/healthz" || { cmd_stop; exit 1; }
    if [ -n "$(pid_of staff)" ]; then wait_until staff "http://127.0.0.1:$STAFF_PORT_P/staff/healthz" || { cmd_stop; exit 1; }; fi
    start_nginx
    wait_until nginx "http://127.0.0.1:$HTTP_PORT/health/rasa" || { cmd_stop; exit 1; }
    cat <<INFO

NeuroTriage runs in the production shape (model $MODEL_PATH; up in $(( $(date +%s) - started )) s).
  Clinic page:   $PUBLIC_URL/
  REST:          POST $PUBLIC_URL/webhooks/rest/webhook   {"sender": "...", "message": "..."}
  socket.io:     $PUBLIC_URL/socket.io/
  HTTP API:      $PUBLIC_URL/conversations/... (loopback only; token: RASA_API_TOKEN in .env)
  Staff view:    $PUBLIC_URL/staff/ (sign in with STAFF_TOKEN)
  Rasa:          http://127.0.0.1:$RASA1_PORT and http://127.0.0.1:$RASA2_PORT
  Actions:       http://127.0.0.1:$ACTION_PORT/webhook ($ACTION_WORKERS workers)
  PostgreSQL:    127.0.0.1:$PG_PORT_P (neurotriage_tracker, neurotriage_kb, neurotriage_records)
  Redis:         127.0.0.1:$REDIS_PORT (lock store)
  Logs:          .run/production/logs/ and .run/nginx/logs/
Status: scripts/production.sh status     Stop: scripts/production.sh stop
INFO
}

cmd_stop() {
    load_ports saved
    local name
    for name in nginx rasa-1 rasa-2 web staff actions redis; do
        stop_process "$name"
    done
    stop_postgres
}

rss_mb() {  # resident memory of a process and all its descendants, in MB
    local total=0 pid
    for pid in $(descendants "$1"); do
        total=$(( total + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0) ))
    done
    echo $(( total / 1024 ))
}

descendants() {
    local pid=$1 child
    echo "$pid"
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do descendants "$child"; done
}

cmd_status() {
    load_ports saved
    local name pid address any=""
    printf '%-10s %-8s %-8s %s\n' process pid rss_mb address
    for name in nginx rasa-1 rasa-2 actions web staff redis; do
        case $name in
            nginx) address="http://127.0.0.1:$HTTP_PORT" ;;
            rasa-1) address="http://127.0.0.1:$RASA1_PORT" ;;
            rasa-2) address="http://127.0.0.1:$RASA2_PORT" ;;
            actions) address="http://127.0.0.1:$ACTION_PORT ($ACTION_WORKERS workers)" ;;
            web) address="http://127.0.0.1:$WEB_PORT_P" ;;
            staff) address="http://127.0.0.1:$STAFF_PORT_P" ;;
            redis) address="127.0.0.1:$REDIS_PORT" ;;
        esac
        pid=$(pid_of "$name")
        if [ -n "$pid" ]; then
            any=1
            printf '%-10s %-8s %-8s %s\n' "$name" "$pid" "$(rss_mb "$pid")" "$address"
        else
            printf '%-10s %-8s %-8s %s\n' "$name" - - "$address (not running)"
        fi
    done
    pid=$(postgres_pid)
    if [ -n "$pid" ]; then
        any=1
        printf '%-10s %-8s %-8s %s\n' postgres "$pid" "$(rss_mb "$pid")" "127.0.0.1:$PG_PORT_P ($PG_DIR)"
    else
        printf '%-10s %-8s %-8s %s\n' postgres - - "127.0.0.1:$PG_PORT_P (not running)"
    fi
    [ -n "$any" ]
}

cmd_env() {
    load_ports saved
    echo "export PRODUCTION_URL=http://127.0.0.1:$HTTP_PORT"
    echo "export PRODUCTION_RASA_URLS=http://127.0.0.1:$RASA1_PORT,http://127.0.0.1:$RASA2_PORT"
    echo "export PRODUCTION_DIR=$STATE"
}

cmd_restart_rasa() {
    local n=${1:-}
    case $n in 1|2) ;; *) say "usage: $0 restart-rasa 1|2"; exit 2 ;; esac
    [ -f "$STATE/state.env" ] || { say "the production shape has not been started"; exit 1; }
    load_ports saved
    stop_process "rasa-$n"
    prepare > /dev/null
    production_config  # prepare rewrote Rasa's files for `make run`; the instance needs the production ones
    start_rasa "$n"
    wait_until "rasa-$n" "http://127.0.0.1:$(rasa_port "$n")/"
    say "Rasa instance $n answers again on port $(rasa_port "$n")"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    restart-rasa) cmd_restart_rasa "${2:-}" ;;
    *) echo "usage: $0 start|stop|status|env|restart-rasa N" >&2; exit 2 ;;
esac
