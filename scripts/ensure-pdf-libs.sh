#!/usr/bin/env bash
# The PDF ledger (board.pdf) is laid out by WeasyPrint, which needs Pango from the system
# and a CJK font to embed: Debian's libpango-1.0-0 / libpangoft2-1.0-0 and fonts-noto-cjk.
# Installs them when missing: as root directly, otherwise through sudo.
set -euo pipefail
missing=()
for lib in libpango-1.0.so.0 libpangoft2-1.0.so.0; do
  ldconfig -p 2>/dev/null | grep -q "$lib" || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
done
fc-list 2>/dev/null | grep -qi "Noto Sans CJK SC" || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-pdf-libs: missing ${missing[*]} and apt-get is not available;" >&2
  echo "install Pango and the Noto CJK fonts from your distribution for board.pdf." >&2
  exit 1
fi
run() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
echo "ensure-pdf-libs: installing ${missing[*]} (once)…" >&2
run apt-get update -qq
# shellcheck disable=SC2046  # the list is deduplicated words
DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq --no-install-recommends \
  $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
