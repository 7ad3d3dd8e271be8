#!/usr/bin/env bash
# The whole slawatch stack on this machine: Kafka, PostgreSQL, migrations, the ingest
# service, metrics worker(s), the API and the traffic simulator (logs in .run/logs/).
# Why: one command from a fresh checkout to live KPI figures; on exit it stops everything
# it started, and leaves alone a Kafka or PostgreSQL that was already running.
#
# Usage: scripts/demo.sh            run until Ctrl-C
#        DEMO_SECONDS=N scripts/demo.sh
#            run N seconds, print the 24 h KPIs of every agreement, stop; exit 0 when every
#            agreement has figures, 1 when none has, 2 when only some have.
#   DEMO_WORKERS (1)          metrics workers; worker i gets METRICS_PROMETHEUS_PORT=9108+i,
#                             METRICS_DATA_DIR=.run/faust-i (set METRICS_PROMETHEUS_PORT to move
#                             the base); Faust's own web server stays off (docs/security.md)
#   DEMO_RATE (30)            tickets (and calls) per minute per agreement
#   DEMO_BACKFILL_HOURS (2)   history simulated at start, so figures show at once (only
#                             with DEMO_REPORT_HISTORY=0)
#   DEMO_REPORT_HISTORY (1)   1: first simulate everything since the start of last month at
#                             DEMO_HISTORY_RATE (0.05) tickets and calls per minute, then issue
#                             last month's report (docs/reports.md) and print its URLs; 0: skip
#   DEMO_REPORT_WAIT (300)    seconds the report job may wait for that history to be counted
#   DEMO_SEED                 simulator seed (default: a fresh one, logged)
#   DEMO_TABLE_WAIT (30)      seconds the final table may wait for figures to appear
#   AUTH_BOOTSTRAP_ADMIN_TOKEN  the demo's admin API key (default: a fresh one, printed); the
#                             API, ingest, simulator and final table all use it (docs/security.md)
#   API_PORT (8000), INGEST_PORT (8001); KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL select
#   external services (see scripts/infra/README.md).
# shellcheck disable=SC2317  # helpers run from traps and wait_for, which shellcheck cannot see
set -euo pipefail

# shellcheck source=scripts/infra/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/infra/common.sh"
cd "$REPO_ROOT"

PY="$REPO_ROOT/.venv/bin/python"
LOG_DIR="$RUN_DIR/logs"
AGREEMENTS="$REPO_ROOT/deploy/agreements/demo.yaml"
API_PORT="${API_PORT:-8000}"
INGEST_PORT="${INGEST_PORT:-8001}"
export API_PORT INGEST_PORT
API_URL="http://127.0.0.1:$API_PORT"
INGEST_URL="http://127.0.0.1:$INGEST_PORT"
WORKERS="${DEMO_WORKERS:-1}"
PROM_PORT_BASE="${METRICS_PROMETHEUS_PORT:-9108}"
DEMO_SECONDS="${DEMO_SECONDS:-}"
UP_TIMEOUT_SECONDS=60
STOP_TIMEOUT_SECONDS=15

NAMES=() # processes this script started, in start order
PIDS=()
INFRA_STARTED=() # kafka/postgres started by this script
FOREVER=0

# ---------------------------------------------------------------- helpers

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }

# start_bg NAME CMD...: run CMD in its own session (so Ctrl-C reaches only this script,
# which then stops the services in order), output to $LOG_DIR/NAME.log.
start_bg() {
    local name="$1"
    shift
    setsid "$@" </dev/null >"$LOG_DIR/$name.log" 2>&1 &
    NAMES+=("$name")
    PIDS+=("$!")
    log "started $name (pid $!), log $LOG_DIR/$name.log"
}

pid_of() {
    local i
    for i in "${!NAMES[@]}"; do
        [[ "${NAMES[$i]}" == "$1" ]] && printf '%s\n' "${PIDS[$i]}"
    done
    return 0
}

# wait_http NAME URL [soft]: wait until URL answers 2xx while NAME runs; otherwise show its
# log tail and fail (with "soft": warn and go on if the process still runs).
wait_http() {
    local name="$1" url="$2" soft="${3:-}" pid rc=0
    pid="$(pid_of "$name")"
    WAIT_ABORT_IF="! pid_alive $pid" wait_for "$UP_TIMEOUT_SECONDS" "$name at $url" http_ok "$url" || rc=$?
    ((rc == 0)) && return 0
    show_tail "$LOG_DIR/$name.log" 40
    pid_alive "$pid" || die "$name exited during startup (log: $LOG_DIR/$name.log)"
    if [[ -n "$soft" ]]; then
        warn "$name does not answer on $url yet; going on (it is still running)"
        return 0
    fi
    die "$name did not answer on $url within ${UP_TIMEOUT_SECONDS}s (log: $LOG_DIR/$name.log)"
}

# check_alive: fail with its log tail when a started process has exited.
check_alive() {
    local i
    for i in "${!NAMES[@]}"; do
        if ! pid_alive "${PIDS[$i]}"; then
            show_tail "$LOG_DIR/${NAMES[$i]}.log" 40
            die "${NAMES[$i]} (pid ${PIDS[$i]}) exited unexpectedly"
        fi
    done
}

# stop_group NAME...: SIGTERM them together, wait up to 15 s, SIGKILL what is left.
stop_group() {
    local name pid pids=() deadline
    for name in "$@"; do
        pid="$(pid_of "$name")"
        [[ -n "$pid" ]] || continue
        if pid_alive "$pid"; then
            log "stopping $name (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    deadline=$((SECONDS + STOP_TIMEOUT_SECONDS))
    for pid in "${pids[@]}"; do
        while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
        if pid_alive "$pid"; then
            warn "pid $pid ignored SIGTERM for ${STOP_TIMEOUT_SECONDS}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
}

cleanup() {
    local status=$? svc i name workers=()
    trap - EXIT INT TERM
    set +e
    ((${#NAMES[@]} == 0)) || log "shutting down"
    for name in "${NAMES[@]}"; do
        [[ "$name" != metrics-* ]] || workers+=("$name")
    done
    # The simulator first (its last batch still lands), ingest last (nothing posts to it).
    stop_group simulator
    stop_group api "${workers[@]}"
    stop_group ingest
    for ((i = ${#INFRA_STARTED[@]} - 1; i >= 0; i--)); do
        svc="${INFRA_STARTED[$i]}"
        "scripts/infra/$svc.sh" stop || warn "stopping $svc failed"
    done
    exit "$status"
}

on_signal() {
    # Ctrl-C is the normal way to end an open-ended demo: not an error then.
    if ((FOREVER)) && (($1 == 130)); then exit 0; else exit "$1"; fi
}

trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

# ---------------------------------------------------------------- preflight

[[ -x "$PY" ]] || die "$PY not found: run 'make venv' first"
need_cmd curl "install it: apt-get install -y curl"
need_cmd setsid "part of util-linux"
[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "DEMO_WORKERS must be a positive integer, not '$WORKERS'"
[[ -z "$DEMO_SECONDS" || "$DEMO_SECONDS" =~ ^[0-9]+$ ]] ||
    die "DEMO_SECONDS must be a number of seconds, not '$DEMO_SECONDS'"
ports=("$API_PORT" "$INGEST_PORT")
for ((i = 0; i < WORKERS; i++)); do ports+=($((PROM_PORT_BASE + i))); done
for port in "${ports[@]}"; do
    ! port_open "$port" || die "port $port is in use (another demo running?); free it first"
done
mkdir -p "$LOG_DIR"

# ---------------------------------------------------------------- infrastructure

for svc in kafka postgres; do
    script="scripts/infra/$svc.sh"
    [[ -x "$script" ]] || die "$script is missing"
    if "$script" status >/dev/null 2>&1; then
        log "$svc is already running; it will be left running"
    else
        INFRA_STARTED+=("$svc") # before start: a half-started service is stopped too
        "$script" start
    fi
done

log "applying database migrations"
if ! "$PY" -m services.core.storage.migrate >"$LOG_DIR/migrate.log" 2>&1; then
    show_tail "$LOG_DIR/migrate.log" 40
    die "migrations failed"
fi

log "loading the agreements of $AGREEMENTS into PostgreSQL and Kafka"
if ! "$PY" -m services.admin.sync_agreements --file "$AGREEMENTS" >"$LOG_DIR/agreements.log" 2>&1; then
    show_tail "$LOG_DIR/agreements.log" 40
    die "loading the agreements failed"
fi

# ---------------------------------------------------------------- services

# One admin key for the whole demo, accepted without a stored key (AUTH_BOOTSTRAP_ADMIN_TOKEN);
# exported, so it stays out of the process list.
if [[ -z "${AUTH_BOOTSTRAP_ADMIN_TOKEN:-}" ]]; then
    AUTH_BOOTSTRAP_ADMIN_TOKEN="sw_demo_$("$PY" -c 'import secrets; print(secrets.token_urlsafe(24))')"
fi
export AUTH_BOOTSTRAP_ADMIN_TOKEN
export SIMULATOR_API_KEY="$AUTH_BOOTSTRAP_ADMIN_TOKEN" SLAWATCH_API_KEY="$AUTH_BOOTSTRAP_ADMIN_TOKEN"
# The API's /metrics needs a scrape token; prometheus.local.yml reads it from this file.
if [[ -z "${API_METRICS_TOKEN:-}" ]]; then
    API_METRICS_TOKEN="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')"
fi
export API_METRICS_TOKEN
(umask 077 && printf '%s' "$API_METRICS_TOKEN" >"$RUN_DIR/api-metrics-token")

start_bg ingest "$PY" -m services.ingest.main
for ((i = 0; i < WORKERS; i++)); do
    start_bg "metrics-$i" env METRICS_WEB_PORT=0 \
        METRICS_PROMETHEUS_PORT=$((PROM_PORT_BASE + i)) METRICS_DATA_DIR="$RUN_DIR/faust-$i" \
        "$PY" -m services.metrics.worker
done
# The demo issues last month's report itself once the history is in (below); the API's own
# report job comes later, for late data.
start_bg api env REPORT_SCHEDULE_INTERVAL_SECONDS="${REPORT_SCHEDULE_INTERVAL_SECONDS:-900}" \
    "$PY" -m services.api.main

wait_http ingest "$INGEST_URL/healthz"
for ((i = 0; i < WORKERS; i++)); do
    wait_http "metrics-$i" "http://127.0.0.1:$((PROM_PORT_BASE + i))/metrics" soft
done
wait_http api "$API_URL/healthz"
wait_http api "$API_URL/readyz"
log "ingest, $WORKERS metrics worker(s) and API are up"

BACKFILL_HOURS="${DEMO_BACKFILL_HOURS:-2}"
REPORT_PERIOD=""
if [[ "${DEMO_REPORT_HISTORY:-1}" == 1 ]]; then
    # From the start of last month in the zone furthest ahead of UTC (+14 h) until now.
    read -r REPORT_PERIOD history_hours < <("$PY" -m services.core.reports.job --history-span)
    log "simulating the history since $REPORT_PERIOD ($history_hours h at ${DEMO_HISTORY_RATE:-0.05}/min; log $LOG_DIR/history.log)"
    history_args=(--ingest-url "$INGEST_URL" --agreements-file "$AGREEMENTS"
        --rate "${DEMO_HISTORY_RATE:-0.05}" --backfill-hours "$history_hours" --seconds 1)
    [[ -z "${DEMO_SEED:-}" ]] || history_args+=(--seed "$((DEMO_SEED + 1))")
    if ! "$PY" -m services.simulator.main "${history_args[@]}" >"$LOG_DIR/history.log" 2>&1; then
        show_tail "$LOG_DIR/history.log" 40
        die "simulating the history failed"
    fi
    HISTORY_END="$(date +%s)"
    # Events older than the watermark minus the lateness would be dead-lettered as late.
    BACKFILL_HOURS=0
fi

sim_args=(--ingest-url "$INGEST_URL" --agreements-file "$AGREEMENTS"
    --rate "${DEMO_RATE:-30}" --backfill-hours "$BACKFILL_HOURS" --seconds 0)
[[ -z "${DEMO_SEED:-}" ]] || sim_args+=(--seed "$DEMO_SEED")
start_bg simulator "$PY" -m services.simulator.main "${sim_args[@]}"

if [[ -n "$REPORT_PERIOD" ]]; then
    log "issuing the reports due now (last month: $REPORT_PERIOD; log $LOG_DIR/report-job.log)"
    if ! "$PY" -m services.core.reports.job --wait-seconds "${DEMO_REPORT_WAIT:-300}" \
        --history-end "$HISTORY_END" >"$LOG_DIR/report-job.log" 2>&1; then
        show_tail "$LOG_DIR/report-job.log" 40
        die "the report job failed"
    fi
    grep -E "issued|report mail" "$LOG_DIR/report-job.log" | cut -c1-220 >&2 || true
    REPORTS="$API_URL/v1/agreements/acme-helpdesk/reports"
    cat <<EOF

  Last month's report ($REPORT_PERIOD), with the admin key below:
    list          curl -H "Authorization: Bearer \$KEY" $REPORTS
    JSON          curl -H "Authorization: Bearer \$KEY" $REPORTS/$REPORT_PERIOD
    HTML (zh-CN)  curl -H "Authorization: Bearer \$KEY" -o report.html $REPORTS/$REPORT_PERIOD.html
    HTML (en)     curl -H "Authorization: Bearer \$KEY" -o report-en.html "$REPORTS/$REPORT_PERIOD.html?lang=en"
    PDF           curl -H "Authorization: Bearer \$KEY" -o report.pdf $REPORTS/$REPORT_PERIOD.pdf
EOF
fi

cat <<EOF

  slawatch demo is running (logs in $LOG_DIR):
    API docs      $API_URL/docs  ("Authorize" with the admin key below)
    API metrics   $API_URL/metrics  (Bearer token in $RUN_DIR/api-metrics-token)
    worker        http://127.0.0.1:$PROM_PORT_BASE/metrics
    admin key     KEY=$AUTH_BOOTSTRAP_ADMIN_TOKEN  (demo only; API and ingest)
    KPIs          curl -H "Authorization: Bearer $AUTH_BOOTSTRAP_ADMIN_TOKEN" \\
                       $API_URL/v1/agreements/acme-helpdesk/kpis

EOF

if [[ -z "$DEMO_SECONDS" ]]; then
    FOREVER=1
    log "press Ctrl-C to stop"
    while true; do
        check_alive
        sleep 1
    done
fi

log "running for ${DEMO_SECONDS}s"
end=$((SECONDS + DEMO_SECONDS))
while ((SECONDS < end)); do
    check_alive
    sleep 1
done
check_alive
table_status=0
"$PY" scripts/kpi_table.py --api-url "$API_URL" --window 24h \
    --wait-seconds "${DEMO_TABLE_WAIT:-30}" || table_status=$?
exit "$table_status"
