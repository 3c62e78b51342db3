#!/usr/bin/env bash
# Installs the chat widget (rasa-webchat, pinned in package-lock.json) into web/node_modules with `npm ci`.
# Idempotent: skipped while node_modules was installed from the same package-lock.json. Quiet unless it installs.
# Install scripts of the dependencies are not run (--ignore-scripts): the page only serves the widget's prebuilt
# file, node_modules/rasa-webchat/lib/index.js, which web/server.py serves at /vendor/rasa-webchat.js.
set -euo pipefail
cd "$(dirname "$0")"

widget=node_modules/rasa-webchat/lib/index.js
stamp=node_modules/.neurotriage-lock.sha256

if ! command -v npm >/dev/null 2>&1; then
    echo "web/setup.sh: npm is not installed; install Node.js 18 or newer with npm (Debian: apt-get install nodejs npm)." >&2
    exit 1
fi

if [ -f package-lock.json ]; then
    wanted=$(sha256sum package.json package-lock.json | sha256sum | cut -c1-64)
    if [ -f "$widget" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
        exit 0
    fi
    echo "Installing the chat widget (npm ci in web/) ..."
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
    echo "$wanted" > "$stamp"
else
    echo "Installing the chat widget (npm install in web/, no package-lock.json yet) ..."
    npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
fi

if [ ! -f "$widget" ]; then
    echo "web/setup.sh: npm finished but $widget is missing." >&2
    exit 1
fi
