#!/usr/bin/env bash
# `make shell`: staff talk to the assistant in the terminal, with the real action server behind it.
set -euo pipefail
cd "$(dirname "$0")/.."
export ACTION_SERVER_PORT=${SHELL_ACTION_SERVER_PORT:-5255} RASA_PORT=${SHELL_RASA_PORT:-5205}
export ACTION_SERVER_URL="http://127.0.0.1:${SHELL_ACTION_SERVER_PORT:-5255}/webhook"
source scripts/prepare.sh
source scripts/servers.sh
.venv/bin/python -m neurotriage.config check actions || exit 1
trap 'stop_servers' EXIT
start_action_server
wait_until_up "The action server" "http://127.0.0.1:$ACTION_SERVER_PORT/health" "$ACTION_SERVER_PID"
python -m neurotriage.rasa_runtime shell --model "$MODEL_PATH" --endpoints "$GENERATED_CONFIG_DIR/endpoints.yml" --port "$RASA_PORT"
