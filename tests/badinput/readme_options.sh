#!/bin/sh
# SPDX-License-Identifier: MIT
# The variables of README.md's "Environment options" table are exactly the names in
# ljmm_options[] (shim/config.c), in the same order.
#   readme_options.sh OPTIONS_TABLE_BINARY README.md
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
bin=$1 readme=$2
tmp=""
make_tmpdir tmp readme-options
"$bin" >"$tmp/code"
# Rows of the table after the heading, up to the next heading: "| `NAME` | ...".
awk '/^## Environment options/ { on = 1; next }
     on && /^## / { exit }
     on && /^\| *`[A-Z0-9_]+`/ { s = $0; sub(/^\| *`/, "", s); sub(/`.*/, "", s); print s }' "$readme" >"$tmp/readme"
[ -s "$tmp/readme" ] || fail "no \"## Environment options\" table found in $readme"
if ! diff -u "$tmp/code" "$tmp/readme" >"$tmp/diff"; then
  cat "$tmp/diff"
  fail "README.md's Environment options table and ljmm_options[] differ (above: - code, + README)"
fi
echo "README.md documents all $(wc -l <"$tmp/code") options of ljmm_options[], in order: $(tr '\n' ' ' <"$tmp/code")"
