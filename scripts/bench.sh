#!/usr/bin/env bash
# `make bench`: every benchmark; each prints its figures and writes them to results/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prepare.sh
mkdir -p results
for bench in bench/bench_*.py; do
    echo "=== $bench"
    python "$bench"
done
