#!/bin/sh
# SPDX-License-Identifier: MIT
# The Prometheus rules the package ships (tools/prometheus/ljmm-rules.yml):
#   - promtool check rules accepts them;
#   - promtool test rules passes the fixture tests/tools/ljmm-rules.test.yml (each
#     alert fires for the worker it is about, and only there);
#   - every ljmm_* metric they name is one ljmm-maps --prometheus writes (its HELP
#     lines), so a renamed metric cannot leave a rule that never fires;
#   - docs/deploy.md's alert table (rows "| `Ljmm...` | `EXPR` [for D] | ...") gives each
#     alert with the expression and the for: of the file, and no other.
# Skipped (77) without promtool (Debian: prometheus).
# Usage: rules_test.sh RULES FIXTURE LJMM_MAPS DEPLOY_MD
set -u
rules=$1 fixture=$2 maps=$3 doc=$4
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
command -v promtool >/dev/null 2>&1 || skip "promtool is not installed (Debian: apt-get install prometheus)"
tmp=""
make_tmpdir tmp rules
promtool check rules "$rules" || fail "promtool check rules $rules"
promtool test rules "$fixture" || fail "promtool test rules $fixture"
"$maps" --prometheus --all ljmm-no-such-process >"$tmp/help" || fail "ljmm-maps --prometheus"
sed -n 's/^# HELP \([^ ]*\) .*/\1/p' "$tmp/help" | sort -u >"$tmp/written"
grep -oE '[a-z:]*ljmm_[a-z0-9_]*' "$rules" | grep '^ljmm_' | sort -u >"$tmp/used"
# (Recording rules' own names have colons: instance:ljmm_failed:increase1h.)
sed -n 's/.*record: \([^ ]*\).*/\1/p' "$rules" | grep -o ':ljmm_[a-z0-9_]*:' | tr -d : | sort -u >"$tmp/recorded"
missing=$(comm -23 "$tmp/used" "$tmp/written" | grep -vxFf "$tmp/recorded")
[ -z "$missing" ] || fail "the rules name metrics ljmm-maps does not write: $missing"
echo "rules: $(wc -l <"$tmp/used") ljmm metrics named, all written by ljmm-maps"
# name|expr|for, from the file (each alert: its expr: and for: lines, in any order) ...
awk '/^      - (alert|record): / { if (name != "") print name "|" expr "|" dur; name = ""; expr = ""; dur = "" }
	/^      - alert: / { name = $3 }
	name != "" && /^        expr: / { expr = $0; sub(/^        expr: /, "", expr) }
	name != "" && /^        for: / { dur = $2 }
	END { if (name != "") print name "|" expr "|" dur }' "$rules" | sort >"$tmp/alerts.rules"
# ... and from the document (the backquotes are Markdown's).
# shellcheck disable=SC2016
sed -n 's/^| `\(Ljmm[A-Za-z0-9]*\)` | `\(.*\)`\( for \([0-9a-z]*\)\)\{0,1\} | .*/\1|\2|\4/p' "$doc" | sort >"$tmp/alerts.doc"
[ -s "$tmp/alerts.rules" ] || fail "no alert found in $rules"
diff -u "$tmp/alerts.rules" "$tmp/alerts.doc" || fail "$doc's alert table differs from $rules (- rules, + doc)"
echo "rules: the $(wc -l <"$tmp/alerts.rules") alerts of $doc's table are the file's"
