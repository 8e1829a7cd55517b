#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The counters registry (ljmm.h's LJMM_STATS, printed by stats_dump) against the
# documentation: docs/troubleshooting.md's tables of the exit report's "calls:" and
# "region" lines are exactly what the registry makes of itself, so a counter's meaning is
# written once, in the registry; and every LABEL= the docs name in backquotes is a
# registry label (a renamed or removed counter is caught).
# Usage: stats_docs.sh STATS_DUMP SOURCE_DIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
dump=$1 src=$2
doc=$src/docs/troubleshooting.md
[ -r "$doc" ] || fail "cannot read $doc"

# table HEADING: the markdown table that follows the line starting with HEADING.
table() {
	awk -v h="$1" 'index($0, h) == 1 { on = 1; next }
		on && /^\|/ { print; seen = 1; next }
		on && seen { exit }' "$doc"
}

for line in calls:'calls:' region:'region [LO, HI): ...'; do
	want=$("$dump" "--${line%%:*}") || fail "$dump --${line%%:*} failed"
	have=$(table "**\`${line#*:}\`**")
	[ -n "$have" ] || fail "no table after **\`${line#*:}\`** in docs/troubleshooting.md"
	if [ "$have" != "$want" ]; then
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$have") || true
		fail "docs/troubleshooting.md's ${line%%:*} table is not the registry's (above: < registry, > docs)"
	fi
	echo "${line%%:*}: $(printf '%s\n' "$want" | tail -n +3 | wc -l) rows match the registry"
done

# Also allowed: the fields of the debug lines (LJMM_DEBUG's addr= and error=), no counters.
declare -A known=([addr]=1 [error]=1)
while read -r label _; do known[$label]=1; done < <("$dump" --labels)
for doc in "$src"/README.md "$src"/docs/*.md "$src"/man/*.[0-9]; do
	while read -r name; do
		[ -n "${known[$name]+set}" ] ||
			fail_later "${doc#"$src"/} names \`$name=\`, which is no counter of the registry"
	done < <(grep -o '`[a-z][a-z0-9-]*=`' "$doc" | tr -d '`=' | sort -u)
done
exit_if_failed "the docs name counters the registry does not have"
echo "every counter the docs name is in the registry"
