# shellcheck shell=bash
# Shared helpers for the local infrastructure scripts (kafka.sh, postgres.sh).
# Why: both scripts need the same repo-root resolution, logging, port probes
# and bounded wait loops; keeping them here keeps each script about its service.
# Source it; do not execute it.

# Repo root = two levels above this file, whatever the caller's cwd is.
INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$INFRA_DIR/../.." && pwd -P)"
RUN_DIR="${SLAWATCH_RUN:-$REPO_ROOT/.run}"
CACHE_DIR="${SLAWATCH_CACHE:-$HOME/.cache/slawatch}"
export INFRA_DIR REPO_ROOT RUN_DIR CACHE_DIR

# log/warn/die print to stderr with the calling script's name as prefix.
_infra_name="$(basename "$0" .sh)"
log() { printf '[%s] %s\n' "$_infra_name" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$_infra_name" "$*" >&2; }
die() {
    printf '[%s] ERROR: %s\n' "$_infra_name" "$*" >&2
    exit 1
}

# need_cmd CMD [HINT]: fail clearly when CMD is not on PATH.
need_cmd() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH${2:+ ($2)}"
}

# port_open PORT [HOST]: true when something accepts TCP connections there.
# Uses bash's /dev/tcp so it costs no extra process on the fast path.
port_open() {
    local port="$1" host="${2:-127.0.0.1}"
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# pid_alive PID: true when the process exists (zombies count as dead).
pid_alive() {
    local pid="$1" state
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/stat" ]] || return 1
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" || return 1
    [[ -n "$state" && "$state" != "Z" ]]
}

# pid_cmdline_has PID STRING: true when the process command line contains STRING
# (guards against a recycled pid from a stale pid file).
pid_cmdline_has() {
    local pid="$1" needle="$2"
    pid_alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$needle"
}

# wait_exited PID NEEDLE: after a crash or SIGKILL the process lingers a moment
# (a zombie whose threads still hold its sockets); wait up to 10 s for it to go.
# Only waits while PID is a zombie or still runs a command line containing NEEDLE.
wait_exited() {
    local pid="$1" needle="$2"
    [[ -n "$pid" && -e "/proc/$pid" ]] || return 0
    _exiting() {
        [[ -e "/proc/$1" ]] || return 1
        ! pid_alive "$1" || pid_cmdline_has "$1" "$2" || [[ ! -s "/proc/$1/cmdline" ]]
    }
    _exiting "$pid" "$needle" || return 0
    log "previous process $pid is still exiting; waiting for it"
    wait_for 10 "pid $pid to exit" eval "! _exiting '$pid' '$needle'" || true
}

# read_pid FILE: print the pid stored in FILE, or nothing.
read_pid() {
    [[ -f "$1" ]] || return 0
    tr -dc '0-9' <"$1"
}

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.2 s until it succeeds.
# Returns 1 on timeout. Set WAIT_ABORT_IF to a command that, when it succeeds,
# ends the wait early with status 2 (e.g. "the process died").
wait_for() {
    local timeout="$1" what="$2"
    shift 2
    local deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        if "$@"; then
            return 0
        fi
        if [[ -n "${WAIT_ABORT_IF:-}" ]] && eval "$WAIT_ABORT_IF"; then
            log "gave up waiting for $what"
            return 2
        fi
        sleep 0.2
    done
    log "timed out after ${timeout}s waiting for $what"
    return 1
}

# show_tail FILE [LINES]: print the end of a log file to stderr for diagnosis.
show_tail() {
    local file="$1" lines="${2:-40}"
    if [[ -s "$file" ]]; then
        printf -- '----- last %s lines of %s -----\n' "$lines" "$file" >&2
        tail -n "$lines" "$file" >&2
        printf -- '----- end of %s -----\n' "$file" >&2
    fi
}

# take_lock FILE [SECONDS]: serialise start/stop across concurrent callers on fd 9.
# Children that outlive the script must be started with 9>&- so they do not hold it.
take_lock() {
    local file="$1" timeout="${2:-90}"
    command -v flock >/dev/null 2>&1 || return 0
    mkdir -p "$(dirname "$file")"
    exec 9>"$file"
    flock -w "$timeout" 9 || die "another start/stop holds $file for more than ${timeout}s"
}

# is_root: true when running as uid 0.
is_root() { [[ "$(id -u)" -eq 0 ]]; }
