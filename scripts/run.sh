#!/usr/bin/env bash
# `make run`: prepares everything, then runs the action server and the Rasa server until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prepare.sh
source scripts/servers.sh
.venv/bin/python -m neurotriage.config check rasa actions web staff || exit 1

trap 'echo; echo "Stopping ..."; stop_servers; echo "Stopped."; exit 0' INT TERM
start_action_server
wait_until_up "The action server" "http://127.0.0.1:$ACTION_SERVER_PORT/health" "$ACTION_SERVER_PID" || { stop_servers; exit 1; }
start_rasa_server
wait_until_up "The Rasa server" "http://127.0.0.1:$RASA_PORT/" "$RASA_PID" || { stop_servers; exit 1; }
start_web_server
wait_until_up "The clinic page" "http://127.0.0.1:$WEB_PORT/healthz" "$WEB_PID" || { stop_servers; exit 1; }
start_staff_server
wait_until_up "The staff view" "http://127.0.0.1:$STAFF_PORT/staff/healthz" "$STAFF_PID" || { stop_servers; exit 1; }

cat <<INFO

NeuroTriage is running (model $MODEL_PATH).
  Web page:   http://127.0.0.1:$WEB_PORT/
  Staff view: http://127.0.0.1:$STAFF_PORT/staff/ (sign in with STAFF_TOKEN from .env)
  REST:       POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook  {"sender": "me", "message": "hi"}
  socket.io:  http://127.0.0.1:$RASA_PORT/socket.io
  HTTP API:   http://127.0.0.1:$RASA_PORT/ (token: RASA_API_TOKEN in .env)
  Actions:    http://127.0.0.1:$ACTION_SERVER_PORT/webhook
  Logs:       .run/logs/
Talk to it in a terminal with: make shell     Stop with Ctrl-C.
INFO
wait "$RASA_PID" "$ACTION_SERVER_PID" "$WEB_PID" "$STAFF_PID"
