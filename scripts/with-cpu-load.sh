#!/usr/bin/env bash
# Run a command while CPU_LOAD_PROCESSES busy loops (default 1) keep cores busy, as CI's
# shared machine often is; the loops stop with the command, and after CPU_LOAD_MAX_SECONDS
# (default 3600) at the latest. Used by `make test-loaded`.
set -euo pipefail
processes="${CPU_LOAD_PROCESSES:-1}"
max_seconds="${CPU_LOAD_MAX_SECONDS:-3600}"
pids=()
stop_load() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
}
trap stop_load EXIT
for _ in $(seq "$processes"); do
    timeout "$max_seconds" python3 -c 'while True: pass' &
    pids+=("$!")
done
"$@"
