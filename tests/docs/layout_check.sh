#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# docs/layout.svg and the script that draws it (docs/layout-picture.sh):
#  - the committed picture is exactly what the script draws from the data embedded in
#    it (so neither was edited without the other);
#  - a fresh capture from a live process under the library under test is a valid SVG
#    showing the kernel's window, the region, the program and the guard.
# Usage: layout_check.sh SOURCE_DIR LIBRARY HOLDER
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
src=$1 lib=$2 holder=$3
script=$src/docs/layout-picture.sh committed=$src/docs/layout.svg
unset LD_PRELOAD LJMM_STATS LJMM_DEBUG LJMM_LOG_FILE LJMM_GUARD LJMM_GUARD_RESERVE LJMM_REGION_LO LJMM_REGION_HI LJMM_POLICY LJMM_ENABLE
tmp=""
make_tmpdir tmp layout-check

# well_formed FILE: XML that parses (xmllint, else python3, else a shallow check).
well_formed() {
	if command -v xmllint >/dev/null 2>&1; then
		xmllint --noout "$1"
	elif command -v python3 >/dev/null 2>&1; then
		python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1"
	else
		head -n 2 "$1" | grep '<svg ' >/dev/null && tail -n 1 "$1" | grep -x '</svg>' >/dev/null
	fi
}

[ -r "$committed" ] || fail "no $committed"
well_formed "$committed" || fail "$committed is not well-formed XML"
bash "$script" render --from-svg "$committed" "$tmp/again.svg" || fail "cannot render $committed from its own data"
if ! cmp -s "$committed" "$tmp/again.svg"; then
	diff "$committed" "$tmp/again.svg" | sed -n 1,20p
	fail "docs/layout.svg differs from what docs/layout-picture.sh draws from its data: run 'docs/layout-picture.sh capture LIBRARY map32_hold_nopie' (or 'render --from-svg docs/layout.svg docs/layout.svg') and commit the result"
fi
echo "ok   docs/layout.svg is docs/layout-picture.sh's drawing of its embedded data"

bash "$script" capture "$lib" "$holder" "$tmp/live.svg" >/dev/null || fail "capture from a live process"
well_formed "$tmp/live.svg" || fail "the fresh picture is not well-formed XML"
for title in "kernel's MAP_32BIT window [" "ljmm region [" "program [" "guard page ["; do
	grep -qF "<title>$title" "$tmp/live.svg" || fail "the fresh picture shows no '${title% [}'"
done
grep -q '^served: ' "$tmp/live.svg" || fail "the capture recorded no region blocks"
echo "ok   a fresh capture ($(sed -n 's/^filled: //p' "$tmp/live.svg") filled) shows the window, the region, the program and the guard"
