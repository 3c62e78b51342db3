#!/usr/bin/env bash
# Functions to start and stop the action server and the Rasa server. Sourced by run.sh and test.sh after prepare.sh.

start_action_server() {
    python -m neurotriage.action_server > .run/logs/actions.log 2>&1 &
    ACTION_SERVER_PID=$!
}

start_rasa_server() {
    python -m neurotriage.rasa_runtime run --model "$MODEL_PATH" --endpoints "$GENERATED_CONFIG_DIR/endpoints.yml" --credentials "$GENERATED_CONFIG_DIR/credentials.yml" \
        --interface "$RASA_HOST" --port "$RASA_PORT" --enable-api \
        --cors "http://127.0.0.1:$WEB_PORT" "http://localhost:$WEB_PORT" \
        --log-file .run/logs/rasa.log > .run/logs/rasa.out 2>&1 &
    RASA_PID=$!
}

start_web_server() {
    python -m web.server > .run/logs/web.log 2>&1 &
    WEB_PID=$!
}

start_staff_server() {
    python -m neurotriage.staff > .run/logs/staff.log 2>&1 &
    STAFF_PID=$!
}

# wait_until_up NAME URL PID: polls until the URL answers, the process dies, or 180 s pass.
wait_until_up() {
    local name=$1 url=$2 pid=$3
    for _ in $(seq 1 360); do
        if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$name stopped while starting:" >&2; tail -n 30 .run/logs/*.out .run/logs/actions.log 2>/dev/null >&2; return 1
        fi
        sleep 0.5
    done
    echo "$name did not answer at $url within 180 s." >&2
    return 1
}

stop_servers() {
    for pid in ${STAFF_PID:-} ${WEB_PID:-} ${RASA_PID:-} ${ACTION_SERVER_PID:-}; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in ${STAFF_PID:-} ${WEB_PID:-} ${RASA_PID:-} ${ACTION_SERVER_PID:-}; do
        wait "$pid" 2>/dev/null || true
    done
    STAFF_PID="" WEB_PID="" RASA_PID="" ACTION_SERVER_PID=""
}
