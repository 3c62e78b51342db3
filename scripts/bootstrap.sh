#!/usr/bin/env bash
# Creates .venv with the Python in .python-version and installs the locked dependency tree into it.
# Does nothing when requirements.lock and pyproject.toml are unchanged since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

wanted=$(cat .python-version)
find_python() {
    if command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/$wanted/bin/python" ]; then
        echo "$(pyenv root)/versions/$wanted/bin/python"
    elif command -v "python${wanted%.*}" >/dev/null 2>&1; then
        command -v "python${wanted%.*}"
    else
        echo "Python ${wanted%.*} is needed (Rasa 3.6 does not run on newer Python): install it with pyenv or your package manager." >&2
        exit 1
    fi
}

stamp=.venv/.installed-lock
fingerprint=$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ]; then
    exit 0
fi

started=$(date +%s)
[ -x .venv/bin/python ] || "$(find_python)" -m venv .venv
echo "Installing the locked dependencies into .venv (about two minutes the first time) ..."
.venv/bin/pip install --quiet --disable-pip-version-check pip==24.0 setuptools==70.3.0 wheel==0.45.1
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
.venv/bin/pip check >/dev/null || { .venv/bin/pip check; exit 1; }
echo "$fingerprint" > "$stamp"
mkdir -p .run
echo "$(( $(date +%s) - started ))" > .run/install-seconds
echo "Dependencies installed in $(( $(date +%s) - started )) s."
