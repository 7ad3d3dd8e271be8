#!/usr/bin/env bash
# Run a command with the local Kafka broker and PostgreSQL up; stop afterwards only what
# this script started, so a developer's running stack is left alone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

started=()
cleanup() {
    local status=$?
    for svc in "${started[@]}"; do
        "scripts/infra/$svc.sh" stop >/dev/null 2>&1 || true
    done
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for svc in kafka postgres; do
    if ! "scripts/infra/$svc.sh" status >/dev/null 2>&1; then
        # A broker started here is stopped after the command: nothing on it is worth keeping.
        KAFKA_FRESH=1 "scripts/infra/$svc.sh" start
        started+=("$svc")
    fi
done
"$@"
