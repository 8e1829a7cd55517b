#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks a file against the Prometheus text exposition format (version 0.0.4), as
# node_exporter's textfile collector parses it, and is stricter where the format leaves
# room for a mistake:
#   - every line is "# HELP name text", "# TYPE name type", or a sample
#     "name[{labels}] value [timestamp]" (one space apart, where Prometheus allows
#     more blanks); no blank lines; the file ends with a newline;
#   - metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
#     and do not start with "__"; a label appears once per sample;
#   - label values are double-quoted, with backslash, double quote and line feed
#     escaped (\\ \" \n) and no other escape; HELP text escapes only \\ and \n;
#   - values are floats as Go's ParseFloat reads them (or NaN, +Inf, -Inf);
#   - one HELP and one TYPE per family, the TYPE before the family's first sample (a
#     sample with no TYPE is an error here, "untyped" in Prometheus), a
#     known type; a family's samples are together (no family comes back after
#     another one began); counters are not negative;
#   - no series twice (the same name and the same labels in any order);
#   - every byte sequence is valid UTF-8 (checked with iconv).
# Prints each problem with its line number; exit 1 if there is one.
# Usage: prom_check.sh FILE
set -eu
f=$1
[ -r "$f" ] || {
	echo "prom_check: cannot read $f"
	exit 2
}
rc=0
if [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then
	echo "$f: the last line has no newline"
	rc=1
fi
if ! iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1; then
	echo "$f: not valid UTF-8"
	rc=1
fi
LC_ALL=C awk '
function bad(msg) { printf "%s:%d: %s: %s\n", FILENAME, NR, msg, $0; errors++ }
function family_of(name) {
	# A sample belongs to the family of its own name (counters in 0.0.4 are named
	# with their _total, as are their TYPE lines).
	return name
}
function start_family(name) {
	if (name != current) {
		if (name in closed) bad("samples of family " name " are not together")
		if (current != "") closed[current] = 1
		current = name
	}
}
# Parses the label set at s (after "{"): sets rest (after "}") and key (the sorted
# labels), or returns 0.
function labels(s,    i, c, n, lname, val, parts, cnt, j, k, tmp) {
	cnt = 0
	delete seen
	while (1) {
		if (substr(s, 1, 1) == "}") { rest = substr(s, 2); break }
		if (!match(s, /^[a-zA-Z_][a-zA-Z0-9_]*=/)) { why = "bad label name"; return 0 }
		lname = substr(s, 1, RLENGTH - 1)
		if (substr(lname, 1, 2) == "__") { why = "label name " lname " is reserved"; return 0 }
		if (lname in seen) { why = "label " lname " twice"; return 0 }
		seen[lname] = 1
		s = substr(s, RLENGTH + 1)
		if (substr(s, 1, 1) != "\"") { why = "label value not quoted"; return 0 }
		val = ""
		n = length(s)
		for (i = 2; i <= n; i++) {
			c = substr(s, i, 1)
			if (c == "\\") {
				i++
				c = substr(s, i, 1)
				if (c != "\\" && c != "\"" && c != "n") { why = "bad escape \\" c " in a label value"; return 0 }
				val = val "\\" c
			} else if (c == "\"") {
				break
			} else {
				val = val c
			}
		}
		if (i > n) { why = "label value not closed"; return 0 }
		parts[++cnt] = lname "=" val
		s = substr(s, i + 1)
		if (substr(s, 1, 1) == ",") {
			s = substr(s, 2)
			if (substr(s, 1, 1) == "}") continue
		} else if (substr(s, 1, 1) != "}") { why = "no comma or } after a label"; return 0 }
	}
	# Sort (insertion sort) so that the same labels in another order are the same series.
	for (j = 2; j <= cnt; j++)
		for (k = j; k > 1 && parts[k - 1] > parts[k]; k--) { tmp = parts[k]; parts[k] = parts[k - 1]; parts[k - 1] = tmp }
	key = ""
	for (j = 1; j <= cnt; j++) key = key "\001" parts[j]
	return 1
}
function is_float(v) {
	return v ~ /^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/ || v ~ /^[-+]?(Inf|inf)$/ || v == "NaN"
}
/^# HELP / {
	if (!match($0, /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]*( |$)/)) { bad("bad HELP line"); next }
	name = $3
	if (name in help) bad("second HELP for " name)
	help[name] = 1
	text = substr($0, length("# HELP " name) + 2)
	t = text
	gsub(/\\\\/, "", t)
	if (t ~ /\\[^n]|\\$/) bad("bad escape in HELP text")
	next
}
/^# TYPE / {
	if (!match($0, /^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$/)) { bad("bad TYPE line"); next }
	name = $3
	if (name in type) bad("second TYPE for " name)
	if (name in sampled) bad("TYPE for " name " after its samples")
	type[name] = $4
	next
}
/^#/ { next }
/^$/ { bad("blank line"); next }
{
	if (!match($0, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { bad("bad metric name"); next }
	name = substr($0, 1, RLENGTH)
	s = substr($0, RLENGTH + 1)
	key = ""
	if (substr(s, 1, 1) == "{") {
		why = ""
		if (!labels(substr(s, 2))) { bad(why); next }
		s = rest
	}
	if (substr(s, 1, 1) != " ") { bad("no space before the value"); next }
	n = split(substr(s, 2), f, " ")
	if (n < 1 || n > 2 || substr(s, 2) ~ /^ | $|  /) { bad("expected a value and at most a timestamp"); next }
	if (!is_float(f[1])) { bad("bad value " f[1]); next }
	if (n == 2 && f[2] !~ /^-?[0-9]+$/) { bad("bad timestamp " f[2]); next }
	fam = family_of(name)
	if (!(fam in type)) bad("sample of " fam " without a TYPE line before it")
	if (type[fam] == "counter" && (f[1] ~ /^-/ || f[1] == "NaN")) bad("negative counter")
	start_family(fam)
	sampled[fam] = 1
	if ((name key) in series) bad("duplicate series")
	series[name key] = 1
	samples++
}
END {
	if (errors) exit 1
	printf "%s: %d samples in %d families, valid\n", FILENAME, samples, length(type)
}' "$f" || rc=1
exit "$rc"
