#!/usr/bin/env bash
# Install what rendering and checking reports needs from Debian's packages, when missing:
#   fonts-noto-cjk  Chinese glyphs for the HTML and the PDF (WeasyPrint embeds them)
#   libpango + libharfbuzz  the text layout WeasyPrint calls through cffi
#   poppler-utils   pdftoppm / pdftotext, used by the tests to look inside the PDF
#   chromium        headless browser the HTML report test opens the page in
# Why Debian's packages: the only registry these machines reach that ships fonts and a
# browser; nothing is downloaded at run time. Idempotent: `apt-get update` only runs when
# something is missing. Progress goes to stderr. Installing needs root.
set -euo pipefail

log() { echo "ensure-report-tools: $*" >&2; }

packages=()
fc-list :lang=zh 2>/dev/null | grep -qi "noto.*cjk" || packages+=(fonts-noto-cjk)
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || packages+=(libpango-1.0-0)
dpkg -s libpangoft2-1.0-0 >/dev/null 2>&1 || packages+=(libpangoft2-1.0-0)
dpkg -s libharfbuzz-subset0 >/dev/null 2>&1 || packages+=(libharfbuzz-subset0)
command -v pdftoppm >/dev/null 2>&1 || packages+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || packages+=(chromium)

if ((${#packages[@]} == 0)); then
    exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
    log "missing ${packages[*]}; run: sudo apt-get install -y --no-install-recommends ${packages[*]}"
    exit 1
fi
log "installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
# Other sessions may be installing too: wait for dpkg's lock instead of failing.
apt_opts=(-o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends)
if ! apt-get install "${apt_opts[@]}" "${packages[@]}" >&2; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
    apt-get install "${apt_opts[@]}" "${packages[@]}" >&2
fi
fc-cache -f >/dev/null 2>&1 || true
