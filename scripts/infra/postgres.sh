#!/usr/bin/env bash
# Local PostgreSQL cluster for dev and CI: 127.0.0.1 only, private to this checkout.
# Why: no Docker here; Debian's server binaries run a throwaway cluster under .run/.
#
# Usage: scripts/infra/postgres.sh {start|stop|status|url [DBNAME]}
#   DATABASE_URL  set => an external server is used; start/stop do nothing, url prints it
#   POSTGRES_PORT (15432), SLAWATCH_RUN (<repo>/.run), PG_BINDIR (auto-detected)
# Superuser slawatch/slawatch; databases slawatch and slawatch_test; loopback trust auth.
# As root the server runs as the system user "postgres" (PostgreSQL refuses root);
# if that user cannot reach .run/, the cluster lives in /var/tmp/slawatch-<hash>/
# and .run/postgres.location records where.
# status exits 0 when the server accepts connections, 3 otherwise.
set -euo pipefail

# shellcheck source=scripts/infra/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_PORT="${POSTGRES_PORT:-15432}"
PG_USER=slawatch
PG_PASSWORD=slawatch
PG_DATABASES=(slawatch slawatch_test)
PG_OS_USER=postgres
START_TIMEOUT_SECONDS=30
DEFAULT_BASE="$RUN_DIR/postgres"
LOCATION_FILE="$RUN_DIR/postgres.location"

# ---------------------------------------------------------------- binaries

# find_pg_bin [install]: set PG_BIN to the newest server bin dir; with "install",
# apt-get install postgresql when none is found (root only).
find_pg_bin() {
    local dir
    PG_BIN=""
    if [[ -n "${PG_BINDIR:-}" ]]; then
        [[ -x "$PG_BINDIR/pg_ctl" ]] || die "PG_BINDIR=$PG_BINDIR has no pg_ctl"
        PG_BIN="$PG_BINDIR"
        return 0
    fi
    for dir in $(compgen -G '/usr/lib/postgresql/*/bin' | sort -V -r); do
        if [[ -x "$dir/pg_ctl" && -x "$dir/initdb" && -x "$dir/postgres" ]]; then
            PG_BIN="$dir"
            return 0
        fi
    done
    if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
        PG_BIN="$(dirname "$(command -v pg_ctl)")"
        return 0
    fi
    [[ "${1:-}" == install ]] || return 1
    is_root || die "PostgreSQL server binaries not found and not root: install the 'postgresql' package (or set PG_BINDIR, or DATABASE_URL for an external server)"
    log "PostgreSQL server binaries not found; installing the postgresql package"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
    find_pg_bin || die "apt-get installed postgresql but no pg_ctl/initdb under /usr/lib/postgresql/*/bin"
}

# as_pg CMD...: run CMD as the cluster owner (the postgres system user when root).
as_pg() {
    if is_root; then
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
        "$@"
    fi
}

ensure_os_user() {
    is_root || return 0
    id -u "$PG_OS_USER" >/dev/null 2>&1 && return 0
    log "creating system user $PG_OS_USER"
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /usr/sbin/nologin "$PG_OS_USER"
}

# ---------------------------------------------------------------- layout

# set_paths BASE: the cluster's files under BASE (owned by the cluster owner).
set_paths() {
    PG_BASE="$1"
    PGDATA_DIR="$PG_BASE/data"
    PG_LOG="$PG_BASE/postgres.log"
    PG_SOCKET_DIR="$PG_BASE/socket"
    # Unix socket paths are limited to 107 bytes; fall back to /tmp when too deep.
    if ((${#PG_SOCKET_DIR} + ${#PG_PORT} + 10 > 107)); then
        PG_SOCKET_DIR=/tmp
    fi
}

# resolve_base [create]: pick where the cluster lives; with "create", make it.
resolve_base() {
    if [[ -f "$LOCATION_FILE" ]]; then
        set_paths "$(cat "$LOCATION_FILE")"
    else
        set_paths "$DEFAULT_BASE"
    fi
    [[ "${1:-}" == create ]] || return 0
    mkdir -p "$PG_BASE"
    is_root || return 0
    chown "$PG_OS_USER:" "$PG_BASE"
    chmod 700 "$PG_BASE"
    if ! as_pg test -w "$PG_BASE"; then
        [[ "$PG_BASE" == "$DEFAULT_BASE" ]] || die "user $PG_OS_USER cannot write $PG_BASE"
        rmdir "$PG_BASE" 2>/dev/null || true
        local hash
        hash="$(printf '%s' "$DEFAULT_BASE" | sha1sum | cut -c1-12)"
        set_paths "/var/tmp/slawatch-$hash/postgres"
        warn "user $PG_OS_USER cannot reach $DEFAULT_BASE; using $PG_BASE (recorded in $LOCATION_FILE)"
        mkdir -p "$PG_BASE"
        chmod 755 "$(dirname "$PG_BASE")"
        chown "$PG_OS_USER:" "$PG_BASE"
        chmod 700 "$PG_BASE"
        mkdir -p "$RUN_DIR"
        printf '%s\n' "$PG_BASE" >"$LOCATION_FILE"
    fi
}

# ---------------------------------------------------------------- probes

# server_pid: the postmaster of our cluster, if alive (read without pg_ctl: fast).
server_pid() {
    local pid=""
    [[ -r "$PGDATA_DIR/postmaster.pid" ]] && pid="$(head -n1 "$PGDATA_DIR/postmaster.pid" | tr -dc '0-9')"
    if [[ -n "$pid" ]] && pid_cmdline_has "$pid" "$PGDATA_DIR"; then
        printf '%s\n' "$pid"
    fi
}

pg_ready() {
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -t 1 >/dev/null 2>&1
}

# wait_stale_postmaster: after a crash (SIGKILL) the old postmaster can linger a
# moment as a zombie, and PostgreSQL then refuses the lock file; wait it out.
wait_stale_postmaster() {
    local pid=""
    [[ -r "$PGDATA_DIR/postmaster.pid" ]] && pid="$(head -n1 "$PGDATA_DIR/postmaster.pid" | tr -dc '0-9')"
    wait_exited "$pid" "$PGDATA_DIR"
}

url_for() {
    printf 'postgresql+asyncpg://%s:%s@127.0.0.1:%s/%s\n' "$PG_USER" "$PG_PASSWORD" "$PG_PORT" "${1:-slawatch}"
}

# ---------------------------------------------------------------- start

init_cluster() {
    [[ -f "$PGDATA_DIR/PG_VERSION" ]] && return 0
    log "initialising a new cluster in $PGDATA_DIR"
    local pwfile="$PG_BASE/.pwfile" out
    printf '%s\n' "$PG_PASSWORD" >"$pwfile"
    is_root && chown "$PG_OS_USER:" "$pwfile"
    if ! out="$(as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U "$PG_USER" --pwfile="$pwfile" \
        --auth=trust --encoding=UTF8 --no-locale 2>&1)"; then
        rm -f "$pwfile"
        printf '%s\n' "$out" >&2
        die "initdb failed"
    fi
    rm -f "$pwfile"
    printf "\n# Local overrides, regenerated by scripts/infra/postgres.sh\ninclude_if_exists = 'slawatch.conf'\n" \
        >>"$PGDATA_DIR/postgresql.conf"
}

write_config() {
    local conf="$PGDATA_DIR/slawatch.conf"
    mkdir -p "$PG_SOCKET_DIR"
    cat >"$conf" <<EOF
# Generated by scripts/infra/postgres.sh on each start; edits are overwritten.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_connections = 100
shared_buffers = 128MB
fsync = on
synchronous_commit = off
timezone = 'UTC'
log_timezone = 'UTC'
log_min_messages = warning
EOF
    if is_root; then
        chown "$PG_OS_USER:" "$conf"
        [[ "$PG_SOCKET_DIR" == /tmp ]] || chown "$PG_OS_USER:" "$PG_SOCKET_DIR"
    fi
}

ensure_databases() {
    local db existing
    existing="$("$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -Atc \
        'SELECT datname FROM pg_database')" || die "cannot query databases on 127.0.0.1:$PG_PORT"
    for db in "${PG_DATABASES[@]}"; do
        grep -qxF "$db" <<<"$existing" && continue
        log "creating database $db"
        "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -O "$PG_USER" "$db"
    done
}

cmd_start() {
    if [[ -n "${DATABASE_URL:-}" ]]; then
        log "DATABASE_URL is set: using that external server, not starting one"
        return 0
    fi
    find_pg_bin install
    take_lock "$RUN_DIR/.postgres.lock"
    resolve_base
    local pid
    pid="$(server_pid)"
    if [[ -n "$pid" ]]; then
        if pg_ready; then
            log "already running (pid $pid) on 127.0.0.1:$PG_PORT"
            return 0
        fi
        wait_for "$START_TIMEOUT_SECONDS" "PostgreSQL on 127.0.0.1:$PG_PORT" pg_ready || {
            show_tail "$PG_LOG" 30
            die "our cluster (pid $pid) runs but does not answer on port $PG_PORT; was it started with another POSTGRES_PORT? run '$0 stop' first"
        }
        log "running (pid $pid) on 127.0.0.1:$PG_PORT"
        return 0
    fi
    wait_stale_postmaster
    if port_open "$PG_PORT"; then
        die "port $PG_PORT is taken by another server; free it, set POSTGRES_PORT, or set DATABASE_URL"
    fi
    ensure_os_user
    resolve_base create
    local version
    init_cluster
    version="$("$PG_BIN/postgres" --version | sed -nE 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/p' | head -n1)"
    [[ "$(cat "$PGDATA_DIR/PG_VERSION")" == "$version" ]] ||
        die "cluster in $PGDATA_DIR is PostgreSQL $(cat "$PGDATA_DIR/PG_VERSION") but the binaries are $version; remove $PG_BASE to start afresh"
    write_config
    log "starting PostgreSQL $version on 127.0.0.1:$PG_PORT (data in $PGDATA_DIR)"
    local t0=$SECONDS attempt
    # Retried: after a crash, orphaned backends may hold shared memory a moment.
    for attempt in 1 2 3; do
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t "$START_TIMEOUT_SECONDS" \
            start >/dev/null 2>&1 9>&- && break
        if ((attempt == 3)); then
            show_tail "$PG_LOG" 30
            die "pg_ctl start failed (log: $PG_LOG)"
        fi
        warn "pg_ctl start failed (attempt $attempt); retrying in 2s"
        sleep 2
    done
    if ! wait_for "$START_TIMEOUT_SECONDS" "pg_isready on 127.0.0.1:$PG_PORT" pg_ready; then
        show_tail "$PG_LOG" 30
        die "PostgreSQL started but does not accept connections on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
    fi
    ensure_databases
    log "ready: $(url_for) ($((SECONDS - t0))s)"
}

# ---------------------------------------------------------------- stop/status

cmd_stop() {
    if [[ -n "${DATABASE_URL:-}" ]]; then
        log "DATABASE_URL is set: external server, nothing to stop"
        return 0
    fi
    find_pg_bin || {
        log "not running (no PostgreSQL binaries installed)"
        return 0
    }
    take_lock "$RUN_DIR/.postgres.lock"
    resolve_base
    local pid
    pid="$(server_pid)"
    if [[ -z "$pid" ]]; then
        log "not running"
        return 0
    fi
    log "stopping pid $pid"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 30 stop >/dev/null; then
        warn "fast shutdown did not finish; using immediate shutdown"
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w -t 10 stop >/dev/null ||
            die "could not stop pid $pid (log: $PG_LOG)"
    fi
    log "stopped"
}

cmd_status() {
    if [[ -n "${DATABASE_URL:-}" ]]; then
        echo "external server: DATABASE_URL is set"
        return 0
    fi
    if ! find_pg_bin; then
        echo "not running (no PostgreSQL binaries installed)"
        return 3
    fi
    resolve_base
    local pid
    pid="$(server_pid)"
    if [[ -n "$pid" ]] && pg_ready; then
        echo "running: pid $pid on 127.0.0.1:$PG_PORT (data $PGDATA_DIR) $(url_for)"
        return 0
    fi
    if [[ -n "$pid" ]]; then
        echo "starting or unhealthy: pid $pid does not answer on 127.0.0.1:$PG_PORT (see $PG_LOG)"
    else
        echo "not running (port $PG_PORT)"
    fi
    return 3
}

cmd_url() {
    if [[ -n "${DATABASE_URL:-}" ]]; then
        printf '%s\n' "$DATABASE_URL"
    else
        url_for "${1:-slawatch}"
    fi
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
url) cmd_url "${2:-}" ;;
*)
    echo "usage: $0 {start|stop|status|url [DBNAME]}" >&2
    exit 2
    ;;
esac
