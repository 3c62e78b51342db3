#!/usr/bin/env bash
# `make test`: the same preparation as `make run`, then every test. Exits non-zero if any stage fails.
# Servers for the end-to-end stages run on their own ports and tracker store, so a running `make run` is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_PORT=${TEST_RASA_PORT:-5105} ACTION_SERVER_PORT=${TEST_ACTION_SERVER_PORT:-5155} WEB_PORT=${TEST_WEB_PORT:-8180}
export STAFF_PORT=${TEST_STAFF_PORT:-8190}
export TRACKER_STORE_URL="sqlite:///$PWD/.run/test-tracker.db" RECORDS_DATABASE_URL="sqlite:///$PWD/.run/test-records.db"
export ACTION_SERVER_URL="http://127.0.0.1:${TEST_ACTION_SERVER_PORT:-5155}/webhook"
export GENERATED_CONFIG_DIR=.run/test-config
rm -f .run/test-tracker.db .run/test-records.db
# Every messaging channel on, with test secrets, so tests/e2e/test_messaging_channels.py can call each webhook the
# way its app would (these values override any real ones in .env for the test servers only).
export TELEGRAM_ACCESS_TOKEN=123456:test-token TELEGRAM_BOT_NAME=neurotriage_test_bot \
    TELEGRAM_WEBHOOK_URL=https://clinic.invalid/webhooks/telegram/webhook \
    SLACK_BOT_TOKEN=xoxb-test-token SLACK_SIGNING_SECRET=test-slack-signing-secret \
    FACEBOOK_VERIFY_TOKEN=test-verify-token FACEBOOK_APP_SECRET=test-app-secret FACEBOOK_PAGE_ACCESS_TOKEN=test-page-token \
    TWILIO_ACCOUNT_SID=ACtest TWILIO_AUTH_TOKEN=test-twilio-auth-token TWILIO_NUMBER=+15550001111 \
    TWILIO_WEBHOOK_URL="http://127.0.0.1:$RASA_PORT/webhooks/twilio/webhook"
source scripts/prepare.sh
source scripts/servers.sh
mkdir -p results

# Debian's Chromium for the browser tests (a test tool's own browser download does not work offline).
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } > .run/logs/chromium-install.log 2>&1 \
            || echo "Chromium could not be installed: see .run/logs/chromium-install.log" >&2
    else
        echo "Chromium is missing (sudo apt-get install chromium): the browser tests will be skipped." >&2
    fi
fi
# In CI the browser tests must run, never skip.
if [ "${CI:-}" = true ]; then export BROWSER_TESTS_REQUIRED=1; fi

failed=()
stage() {  # stage NAME COMMAND...: runs one stage, records a failure and goes on
    local name=$1; shift
    echo; echo "=== $name"
    if "$@"; then echo "--- $name: ok"; else echo "--- $name: FAILED"; failed+=("$name"); fi
}

stage "rasa data validate" rasa data validate --fail-on-warnings --quiet
# Fails below intent macro-F1 0.90, entity F1 0.90 or red-flag recall 1.0 on the hold-out (never trained on).
stage "NLU hold-out evaluation" python -m neurotriage.nlu.evaluate --model "$MODEL_PATH" --enforce

# A real PostgreSQL for the knowledge-base parity tests (installed and started by the script).
if TEST_POSTGRES_URL=$(scripts/postgres.sh start 2>.run/logs/postgres.log | tail -n 1); then
    export TEST_POSTGRES_URL
else
    echo "PostgreSQL could not be started: see .run/logs/postgres.log" >&2; failed+=("postgres start")
fi

# Whatever stops this script (a failed start, Ctrl-C), what it started is stopped: a cluster left running would hold
# its port against the next run.
production_started_here=""
cleanup() {
    stop_servers
    scripts/postgres.sh stop >/dev/null 2>&1 || true
    [ -z "$production_started_here" ] || scripts/production.sh stop > .run/logs/production-stop.log 2>&1 || true
}
trap cleanup EXIT

.venv/bin/python -m neurotriage.config check rasa actions web staff
start_action_server
wait_until_up "The action server" "http://127.0.0.1:$ACTION_SERVER_PORT/health" "$ACTION_SERVER_PID"
start_rasa_server
wait_until_up "The Rasa server" "http://127.0.0.1:$RASA_PORT/" "$RASA_PID"
start_web_server
wait_until_up "The clinic page" "http://127.0.0.1:$WEB_PORT/healthz" "$WEB_PID"
start_staff_server
wait_until_up "The staff view" "http://127.0.0.1:$STAFF_PORT/staff/healthz" "$STAFF_PID"

stage "pytest" pytest -q -p no:cacheprovider tests
# The clinic's integration contract, checked over HTTP by the shared checker beside this repository.
if [ -f ../shared/contract_check.py ]; then
    stage "contract check" python ../shared/contract_check.py --rasa "http://127.0.0.1:$RASA_PORT" --token="$RASA_API_TOKEN"  # "=": a token may start with "-"
else
    echo "contract check: ../shared/contract_check.py not found beside this repository" >&2; failed+=("contract check missing")
fi
# Understanding of real patient writing, measured by the clinic's evaluator on its labelled sentences (evaluation
# only: they are never copied into this project). It prints entity F1 and hard-negative hits; the figures are kept in
# results/realtext.txt. Reported, not gated: the target (F1 >= 0.93, no hard-negative hit) is not reached yet.
if [ -f ../shared/realtext/evaluate.py ]; then
    echo; echo "=== real patient text (../shared/realtext)"
    python ../shared/realtext/evaluate.py --url "http://127.0.0.1:$RASA_PORT" --token="$RASA_API_TOKEN" | tee results/realtext.txt \
        || failed+=("real patient text")
fi
# Simulated patients typed as people type (tests/conversations): completed, loops, messages to a result, fact recall
# and wrong facts, written to results/conversations.json. Reported, not gated yet (the gates are in its README).
stage "simulated patients" python tests/conversations/simulate.py --url "http://127.0.0.1:$RASA_PORT" --token="$RASA_API_TOKEN" \
    --jobs 2 --out results/conversations.json
stage "story tests" python -m neurotriage.rasa_runtime test core --model "$MODEL_PATH" --stories tests/test_stories.yml --endpoints "$GENERATED_CONFIG_DIR/endpoints.yml" \
    --e2e --fail-on-prediction-errors --out results/story-tests --quiet

stop_servers
scripts/postgres.sh stop >/dev/null 2>&1 || true

# The production shape (PostgreSQL, Redis, two Rasa instances, the action server's workers, nginx): conversations
# alternate between the instances, one instance and then Redis are stopped mid-conversation. A shape already running
# (someone's `make production`) is used and left running; one started here is stopped by cleanup.
scripts/production.sh status >/dev/null 2>&1 || production_started_here=1
if scripts/production.sh start > .run/logs/production-start.log 2>&1; then
    eval "$(scripts/production.sh env)"
    stage "production scale-out tests" pytest -q -p no:cacheprovider tests/production
else
    echo "The production shape did not start: see .run/logs/production-start.log" >&2; failed+=("production start")
fi
echo
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED stages: ${failed[*]}"
    exit 1
fi
echo "All test stages passed."
