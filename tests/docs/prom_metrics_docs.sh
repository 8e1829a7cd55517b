#!/bin/sh
# SPDX-License-Identifier: MIT
# The metric table of docs/deploy.md (the table after "<!-- ljmm-test: metrics") is what
# ljmm-maps --prometheus writes: the same families, each with its TYPE and its HELP text
# word for word; and ljmm-maps(1) names every family. ljmm-maps prints the HELP and TYPE
# lines of every family even when no process matches.
# Usage: prom_metrics_docs.sh DEPLOY_MD MAN_PAGE LJMM_MAPS
set -u
doc=$1 man=$2 maps=$3
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
tmp=""
make_tmpdir tmp prom-docs
"$maps" --prometheus --all ljmm-no-such-process >"$tmp/out" || fail "ljmm-maps --prometheus"
# name|type|help, sorted, from the code ...
awk '/^# HELP / { name = $3; sub(/^# HELP [^ ]* /, ""); help[name] = $0 }
	/^# TYPE / { type[$3] = $4 }
	END { for (n in help) print n "|" type[n] "|" help[n] }' "$tmp/out" | sort >"$tmp/code"
# ... and from the document: | `name` | type | labels | help |
awk 'index($0, "<!-- ljmm-test: metrics") == 1 { armed = 1; next }
	armed && /^\|/ { rows = 1
		if ($0 ~ /^\| metric \|/ || $0 ~ /^\|---/) next
		n = split($0, f, " \\| ")
		name = f[1]; sub(/^\| `/, "", name); sub(/`$/, "", name)
		help = f[4]; sub(/ \|$/, "", help)
		print name "|" f[2] "|" help; next }
	armed && rows { exit }' "$doc" | sort >"$tmp/doc"
[ -s "$tmp/doc" ] || fail "$doc: no table after <!-- ljmm-test: metrics"
diff -u "$tmp/code" "$tmp/doc" || fail "the metric table of $doc differs from ljmm-maps --prometheus (- code, + doc)"
n=0
for name in $(cut -d'|' -f1 "$tmp/code"); do
	n=$((n + 1))
	grep -q "$name" "$man" || fail_later "$(basename "$man") does not name $name"
done
exit_if_failed "ljmm-maps(1): $LJMM_FAILS families missing"
echo "metrics: the $n families of ljmm-maps --prometheus are docs/deploy.md's table and named in ljmm-maps(1)"
