#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The option table (shim/config.c's ljmm_options[], printed by options_dump) against the
# documents that describe it: README.md's "Environment options" table and the
# ENVIRONMENT section of man/ljmm.7.
#
#  - README's table is exactly what the option table makes of itself (options_dump
#    --readme), so the help texts are written once, in shim/config.c;
#  - every option has a README row and a man page entry (".TP" / ".B NAME");
#  - both give the table's default, and accept what the table accepts (every word of a
#    word or switch option; the same range, evaluated in bytes, for a size option);
#  - every LJMM_* name in README.md and man/ljmm.7 is an option, or a name the project
#    defines for something else (ljmm-run's LJMM_LIBRARY, the header's LJMM_VERSION,
#    CMake options, variables of scripts/), so a misspelt or removed option is caught.
#
# Usage: options_docs.sh OPTIONS_DUMP SOURCE_DIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
dump=$1 src=$2
readme=$src/README.md man=$src/man/ljmm.7
for f in "$readme" "$man"; do
	[ -r "$f" ] || fail "cannot read $f"
done

table=$("$dump") || fail "$dump failed"
[ -n "$table" ] || fail "$dump printed nothing"

# bytes EXPR: a size as the docs write it (64K, 2G-4K, 0x1000, 1G+4K) in bytes; fails
# on anything else.
bytes() {
	local expr=${1//[[:space:]]/} total=0 sign=1 term num mult
	[[ $expr =~ ^([0-9][0-9a-fA-FxX]*[KkMmGg]?)([+-][0-9][0-9a-fA-FxX]*[KkMmGg]?)*$ ]] || return 1
	while [ -n "$expr" ]; do
		case $expr in
		-*) sign=-1 expr=${expr#-} ;;
		+*) sign=1 expr=${expr#+} ;;
		esac
		term=${expr%%[+-]*}
		expr=${expr#"$term"}
		mult=1
		case $term in
		*[Kk]) mult=1024 term=${term%?} ;;
		*[Mm]) mult=$((1 << 20)) term=${term%?} ;;
		*[Gg]) mult=$((1 << 30)) term=${term%?} ;;
		esac
		case $term in
		0[xX]*) num=$((16#${term#??})) ;;
		*) [[ $term =~ ^[0-9]+$ ]] || return 1; num=$((10#$term)) ;;
		esac
		total=$((total + sign * num * mult))
	done
	printf '%s\n' "$total"
}

# has_word TEXT WORD: WORD appears in TEXT as a whole token (tokens: [A-Za-z0-9-]).
has_word() {
	local t
	for t in $(printf '%s\n' "$1" | tr -c 'A-Za-z0-9-' ' '); do
		[ "$t" = "$2" ] && return 0
	done
	return 1
}

# check_accepts WHERE TEXT KIND MIN MAX WORDS: TEXT (what a document says is accepted)
# matches the table.
check_accepts() {
	local where=$1 text=$2 kind=$3 min=$4 max=$5 words=$6 w lo hi
	case $kind in
	bool | word)
		for w in ${words//,/ }; do
			has_word "$text" "$w" || fail_later "$where: accepted values '$text' do not name '$w'"
		done
		;;
	size)
		if [[ $text =~ ([0-9][0-9a-fA-FxXKkMmGg+-]*)[[:space:]]+to[[:space:]]+([0-9][0-9a-fA-FxXKkMmGg+-]*[0-9KkMmGg]) ]]; then
			lo=$(bytes "${BASH_REMATCH[1]}") || lo=unparsable
			hi=$(bytes "${BASH_REMATCH[2]}") || hi=unparsable
			[ "$lo" = "$min" ] || fail_later "$where: range starts at ${BASH_REMATCH[1]} ($lo bytes), the table says $min bytes"
			[ "$hi" = "$max" ] || fail_later "$where: range ends at ${BASH_REMATCH[2]} ($hi bytes), the table says $max bytes"
		else
			fail_later "$where: no 'A to B' range in accepted values '$text'"
		fi
		;;
	path)
		has_word "$text" path || fail_later "$where: accepted values '$text' do not say 'path'"
		;;
	percents)
		has_word "$text" off || fail "$where: accepted values '$text' do not name 'off'"
		case $text in *"$min%"*"$max%"*) ;; *) fail "$where: accepted values '$text' do not give $min% to $max%" ;; esac
		;;
	esac
}

# README.md: the rows of the table under "## Environment options", which must be exactly
# what the option table makes of itself (options_dump --readme: the help texts are its
# "meaning" column). One source of truth: change shim/config.c, paste the output.
readme_rows=$(awk '/^## /{ins = ($0 ~ /^## Environment options/)} ins && /^\|/' "$readme")
[ -n "$readme_rows" ] || fail_later "README.md has no table under '## Environment options'"
generated=$("$dump" --readme) || { echo "FAIL: $dump --readme failed"; exit 1; }
if [ "$readme_rows" != "$generated" ]; then
	fail_later "README.md's option table is not the one shim/config.c's table makes; replace it with the output of '$dump --readme':"
	diff <(printf '%s\n' "$readme_rows") <(printf '%s\n' "$generated") | sed 's/^/  /' || true
fi

# man/ljmm.7: the ENVIRONMENT section, one record per ".TP" / ".B NAME" entry, as
# "NAME<TAB>text" lines where text is the entry's plain-text lines with the font and
# dash escapes removed.
man_entries=$(awk '
	/^\.SH/ { ins = ($0 ~ /^\.SH +"?ENVIRONMENT/); name = ""; next }
	!ins { next }
	/^\.(TP|PP|P|LP|SS|IP)([ \t]|$)/ { tp = ($0 ~ /^\.TP/); name = ""; next }
	tp && name == "" && /^\.B +LJMM_[A-Z_]+ *$/ { name = $2; tp = 0; print name "\t"; next }
	name != "" && !/^\./ {
		line = $0
		gsub(/\\f[BIRP]/, "", line); gsub(/\\f\[[A-Z]*\]/, "", line)
		gsub(/\\-/, "-", line); gsub(/\\&/, "", line)
		print name "\t" line
	}' "$man")

ok=0
while IFS=$'\t' read -r name kind def min max words what; do
	before=$LJMM_FAILS
	# README row: | `NAME` | default | accepted | meaning |
	row=$(printf '%s\n' "$readme_rows" | grep -F "| \`$name\` |" || true)
	if [ -z "$row" ]; then
		fail_later "README.md: no row for $name in the Environment options table"
	elif [ "$(printf '%s\n' "$row" | wc -l)" -gt 1 ]; then
		fail_later "README.md: more than one row for $name"
	else
		IFS='|' read -r _ _ rdef racc _ <<<"$row"
		rdef=$(printf '%s' "$rdef" | tr -d '`' | xargs)
		racc=$(printf '%s' "$racc" | tr -d '`' | xargs)
		[ "$rdef" = "$def" ] || fail_later "README.md: $name default is '$rdef', the table says '$def'"
		check_accepts "README.md $name" "$racc" "$kind" "$min" "$max" "$words"
	fi

	# man page entry
	n=$(printf '%s\n' "$man_entries" | awk -F'\t' -v n="$name" '$1 == n && $2 == ""' | wc -l)
	if [ "$n" = 0 ]; then
		fail_later "man/ljmm.7: no '.TP' / '.B $name' entry in ENVIRONMENT"
		continue
	fi
	[ "$n" = 1 ] || fail_later "man/ljmm.7: $n entries for $name"
	text=$(printf '%s\n' "$man_entries" | awk -F'\t' -v n="$name" '$1 == n {print $2}' | tr '\n' ' ')
	mdef=$(printf '%s\n' "$text" | sed -n 's/.*Default: *\([^ ,;]*[^ ,;.]\).*/\1/p')
	macc=$(printf '%s\n' "$text" | sed -n 's/.*Accepted: *\([^.]*\)\..*/\1/p')
	[ -n "$mdef" ] || fail_later "man/ljmm.7: $name has no 'Default:' line"
	[ -z "$mdef" ] || [ "$mdef" = "$def" ] || fail_later "man/ljmm.7: $name default is '$mdef', the table says '$def'"
	if [ -z "$macc" ]; then
		fail_later "man/ljmm.7: $name has no 'Accepted:' sentence"
	else
		check_accepts "man/ljmm.7 $name" "$macc" "$kind" "$min" "$max" "$words"
	fi
	[ "$LJMM_FAILS" = "$before" ] || continue
	printf 'ok   %-20s default %-13s accepted: %s\n' "$name" "$def" "$what"
	ok=$((ok + 1))
done <<<"$table"

# The other direction: LJMM_* names the documents mention.
options=$(printf '%s\n' "$table" | cut -f1)
others=$( (
	echo LJMM_LIBRARY # ljmm-run's library variable (tools/ljmm-run.in)
	grep -ho 'LJMM_[A-Z][A-Z0-9_]*' "$src/include/ljmm.h" 2>/dev/null || true
	find "$src" -path "$src/build*" -prune -o \( -name CMakeLists.txt -o -name '*.cmake' \) -print0 |
		xargs -0 grep -ho 'option( *LJMM_[A-Z0-9_]*' 2>/dev/null | sed 's/option( *//' || true
	grep -ho 'LJMM_[A-Z][A-Z0-9_]*' "$src"/scripts/*.sh 2>/dev/null || true
) | sort -u)
for doc in "$readme" "$man"; do
	while read -r name; do
		if printf '%s\n' "$options" | grep -xF "$name" >/dev/null; then
			continue
		elif printf '%s\n' "$others" | grep -xF "$name" >/dev/null; then
			echo "note ${doc#"$src"/} mentions $name, which is not an environment option of the shim (defined elsewhere in the project)"
		else
			fail_later "${doc#"$src"/} mentions $name, which is not in the option table (shim/config.c)"
		fi
	done < <(grep -o 'LJMM_[A-Z][A-Z0-9_]*' "$doc" | sort -u)
done

exit_if_failed "$LJMM_FAILS problem(s); the option table is the source of truth: shim/config.c"
echo "options: $ok options documented in README.md and man/ljmm.7"
