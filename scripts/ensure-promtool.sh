#!/usr/bin/env bash
# Print the path of promtool, installing Debian's `prometheus` package when it is missing;
# also installs `prometheus-alertmanager` for amtool (10 MB, no further dependencies).
# Why Debian's packages: the only registry this project's machines reach that ships
# promtool. They also ship servers, which must not be left running: their start is denied
# during the install, and any server the install started anyway is stopped.
#
# Usage: scripts/ensure-promtool.sh               prints e.g. /usr/bin/promtool
#        WITH_AMTOOL=0 scripts/ensure-promtool.sh  skip amtool
# Only the path goes to stdout; progress goes to stderr. Installing needs root.
set -euo pipefail

log() { echo "ensure-promtool: $*" >&2; }

want_amtool="${WITH_AMTOOL:-1}"
packages=()
command -v promtool >/dev/null 2>&1 || packages+=(prometheus)
if [[ "$want_amtool" == 1 ]] && ! command -v amtool >/dev/null 2>&1; then
    packages+=(prometheus-alertmanager)
fi

# PIDs of a server binary, matched on the executable path (not on a name pattern).
server_pids() {
    local exe="$1" pid
    for pid in /proc/[0-9]*; do
        [[ "$(readlink "$pid/exe" 2>/dev/null || true)" == "$exe" ]] && echo "${pid#/proc/}"
    done
    return 0
}

if ((${#packages[@]})); then
    if [[ "$(id -u)" != 0 ]]; then
        log "promtool is missing and installing ${packages[*]} needs root;"
        log "run: sudo apt-get install -y --no-install-recommends ${packages[*]}"
        exit 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        log "promtool is missing and there is no apt-get to install ${packages[*]}"
        exit 1
    fi
    before_prom="$(server_pids /usr/bin/prometheus)"
    before_am="$(server_pids /usr/bin/prometheus-alertmanager)"
    # Keep the package's postinst from starting the servers (invoke-rc.d honours this).
    made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    cleanup_policy() { ((made_policy)) && rm -f /usr/sbin/policy-rc.d; return 0; }
    trap cleanup_policy EXIT
    log "installing ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
    cleanup_policy
    trap - EXIT
    # In case the servers were started anyway: stop and disable them, then kill leftovers
    # that were not running before we installed.
    for svc in prometheus prometheus-alertmanager; do
        if command -v systemctl >/dev/null 2>&1; then
            systemctl disable --now "$svc" >/dev/null 2>&1 || true
        fi
        service "$svc" stop >/dev/null 2>&1 || true
    done
    for exe in /usr/bin/prometheus /usr/bin/prometheus-alertmanager; do
        if [[ "$exe" == /usr/bin/prometheus ]]; then before="$before_prom"; else before="$before_am"; fi
        for pid in $(server_pids "$exe"); do
            if ! grep -qx "$pid" <<<"$before"; then
                log "stopping $exe (pid $pid) started by the package"
                kill "$pid" 2>/dev/null || true
            fi
        done
    done
fi

path="$(command -v promtool || true)"
if [[ -z "$path" ]]; then
    log "promtool still not found after installing"
    exit 1
fi
echo "$path"
