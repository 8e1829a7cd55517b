#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The brk guard's cost in RSS: run the OpenSSL SSL_CTX workload (ssl_ctx.c, -no-pie), or
# under musl the malloc churn (musl_churn.c, musl-gcc -no-pie), without the shim and with LD_PRELOAD=<shim> under LJMM_GUARD=on (the default), lazy and
# off, ROUNDS rounds in alternation, and compare the medians of peak (VmHWM) and current
# (VmRSS) RSS. Passes only if, with the default guard, both stay within 5 % of the figure
# without the shim, and only if the guard really was placed (else it proves nothing).
#
# Usage: guard_rss.sh SHIM PROG churn|keep N [ROUNDS [VAR=VALUE...]]
#   GUARD_RSS_SETTINGS (environment): the arms to run, default "none on lazy off".
#   GUARD_RSS_LINKED (environment): PROG with the link form (ljmm.o) linked in
#   (tests/link/): the shim's arms run it without LD_PRELOAD (SHIM is then "-"), the
#   arm without the shim runs PROG.
#   GUARD_SSL_CAFILE (environment): the CA bundle passed to PROG as its third argument,
#   default /etc/ssl/certs/ca-certificates.crt; "none" for a workload that takes none.
#   VAR=VALUE pairs go into the environment of the default-guard runs only (the
#   negative control uses this to make that arm leak).
# Exit: 0 pass, 1 fail, 77 skip (no OpenSSL program or no CA bundle), 2 usage.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

if (($# < 4)); then
	echo "usage: $0 SHIM PROG churn|keep N [ROUNDS [VAR=VALUE...]]" >&2
	exit 2
fi
shim=$1 prog=$2 mode=$3 n=$4 rounds=${5:-3}
shift $(($# < 5 ? $# : 5))
extra_env=("$@")
cafile=${GUARD_SSL_CAFILE:-/etc/ssl/certs/ca-certificates.crt}
limit_pct=5
two_gib=$((1 << 31))

case $mode in churn | keep) ;; *) echo "$0: mode must be churn or keep" >&2; exit 2 ;; esac
if [[ ! $n =~ ^[1-9][0-9]*$ || ! $rounds =~ ^[1-9][0-9]*$ ]]; then
	echo "$0: N and ROUNDS must be positive integers" >&2
	exit 2
fi
if [[ $cafile == none ]]; then
	cafile=""
elif [[ ! -f $cafile ]]; then
	skip "no CA bundle at $cafile (Debian package ca-certificates)"
fi
if [[ $prog == OPENSSL-NOT-FOUND ]]; then
	skip "OpenSSL development files not found when configuring (Debian package libssl-dev); install it and re-run cmake"
fi
linked=${GUARD_RSS_LINKED:-}
if [[ -n $linked ]]; then
	[[ -x $linked && -x $prog ]] || fail "missing program $prog or $linked (GUARD_RSS_LINKED)"
elif [[ ! -x $prog || ! -f $shim ]]; then
	fail "missing program $prog or shim $shim"
fi

# The program must be a non-PIE executable (ELF type EXEC), or its brk is far above 4 GiB
# and no guard is ever placed.
if command -v readelf >/dev/null 2>&1; then
	elf_type=$(LC_ALL=C readelf -h "$prog" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p')
	[[ $elf_type == EXEC ]] || fail_later "$prog is ELF type '$elf_type', not EXEC (non-PIE)"
fi

tmp=""
make_tmpdir tmp guard-rss

# field KEY LINE: the value of KEY=value in a line of the program's output
field() { kv "$1" "$2"; }

# median_kib N...: the median (common.sh: the mean of the two middle ones for an even
# count), rounded to whole KiB for the integer comparisons below.
median_kib() {
	local m
	m=$(median "$@") || return 1
	printf '%.0f\n' "$m"
}

# GUARD_RSS_SETTINGS picks the arms (the full-size ctest runs only "none on").
read -ra settings <<<"${GUARD_RSS_SETTINGS:-none on lazy off}"
for s in "${settings[@]}"; do
	case $s in none | on | lazy | off) ;; *) echo "$0: GUARD_RSS_SETTINGS: unknown setting '$s' (none on lazy off)" >&2; exit 2 ;; esac
done
[[ " ${settings[*]} " == *" none "* && " ${settings[*]} " == *" on "* ]] ||
	{ echo "$0: GUARD_RSS_SETTINGS must include none and on" >&2; exit 2; }
declare -A hwm rss moved start guard_line secs
for s in "${settings[@]}"; do
	hwm[$s]="" rss[$s]="" moved[$s]="" start[$s]="" guard_line[$s]="" secs[$s]=""
done

# run SETTING ROUND: one run; records its figures and checks what it claims to measure
run() {
	local s=$1 r=$2 out err line g exe=$prog pre=()
	local -a envv=(env -u LD_PRELOAD -u LJMM_GUARD -u LJMM_GUARD_RESERVE -u LJMM_ENABLE -u LJMM_STATS)
	if [[ -z $linked ]]; then
		pre=(LD_PRELOAD="$shim")
	elif [[ $s != none ]]; then
		exe=$linked
	fi
	case $s in
	none) ;;
	on) envv+=("${pre[@]}" LJMM_STATS=on "${extra_env[@]}") ;;
	*) envv+=("${pre[@]}" LJMM_STATS=on LJMM_GUARD="$s") ;;
	esac
	out=$tmp/$s.$r.out err=$tmp/$s.$r.err
	if ! "${envv[@]}" "$exe" "$mode" "$n" ${cafile:+"$cafile"} >"$out" 2>"$err"; then
		fail_later "$s round $r: $prog exited with an error: $(head -c 500 "$err")"
		return
	fi
	line=$(grep -m1 "^mode=$mode " "$out" || true)
	if [[ -z $line ]]; then
		fail_later "$s round $r: no figures in the output"
		return
	fi
	hwm[$s]+=" $(field hwm_kb "$line")"
	rss[$s]+=" $(field rss_kb "$line")"
	moved[$s]+=" $(field brk_moved_kb "$line")"
	start[$s]=$(field brk_start "$line")
	secs[$s]+=" $(field secs "$line")"
	[[ $(field pie "$line") == no ]] || fail_later "$s round $r: the program reports itself as PIE"
	(($(field brk_start "$line") < two_gib)) || fail_later "$s round $r: brk started above 2 GiB, no guard possible"
	g=$(grep -m1 -o 'guard: .*' "$err" || true)
	guard_line[$s]=$g
	case $s in
	on)
		# The measurement means something only if the guard stood right at the break.
		if [[ $g =~ ^guard:\ placed\ at\ (0x[0-9a-f]+) ]]; then
			local gaddr=${BASH_REMATCH[1]} bend
			bend=$(field brk_end "$line")
			((gaddr >= bend && gaddr - bend < 4096)) ||
				fail_later "on round $r: guard at $gaddr is not at the break $bend"
			(($(field brk_moved_kb "$line") <= 4)) ||
				fail_later "on round $r: brk still moved $(field brk_moved_kb "$line") KiB with the guard"
		else
			fail_later "on round $r: LJMM_STATS shows no 'guard: placed at' (got '${g:-nothing}')"
		fi
		;;
	lazy) [[ $g == "guard: lazy, not placed"* ]] || fail_later "lazy round $r: unexpected '${g:-no guard line}'" ;;
	off) [[ $g == "guard: off" ]] || fail_later "off round $r: unexpected '${g:-no guard line}'" ;;
	esac
}

for ((r = 1; r <= rounds; r++)); do
	for s in "${settings[@]}"; do
		run "$s" "$r"
	done
done

label() {
	case $1 in
	none) echo "without shim" ;;
	on) echo "shim, LJMM_GUARD=on${extra_env[*]:+ + ${extra_env[*]}}" ;;
	*) echo "shim, LJMM_GUARD=$1" ;;
	esac
}

# pct A B: (A - B) / B in percent, one decimal, signed
pct() {
	local d=$((($1 - $2) * 1000 / $2))
	local sign=+
	((d < 0)) && sign=- d=$((-d))
	printf '%s%d.%d' "$sign" $((d / 10)) $((d % 10))
}

echo
echo "$(basename "$prog") $mode N=$n${cafile:+ (CA bundle $cafile)}, medians of $rounds round(s), KiB:"
printf '  %-46s %9s %9s %8s %8s %10s  %s\n' setting VmHWM VmRSS "HWM vs" "RSS vs" "brk moved" "guard (LJMM_STATS)"
declare -A mh mr
for s in "${settings[@]}"; do
	if [[ -z ${hwm[$s]// /} ]]; then
		printf '  %-46s %9s\n' "$(label "$s")" "no data"
		continue
	fi
	# shellcheck disable=SC2086 # the lists are space-separated numbers
	mh[$s]=$(median_kib ${hwm[$s]}) mr[$s]=$(median_kib ${rss[$s]})
	# shellcheck disable=SC2086
	mv=$(median_kib ${moved[$s]})
	dh="" dr=""
	if [[ -n ${mh[none]:-} ]]; then
		dh="$(pct "${mh[$s]}" "${mh[none]}")%" dr="$(pct "${mr[$s]}" "${mr[none]}")%"
	fi
	printf '  %-46s %9d %9d %8s %8s %10d  %s\n' "$(label "$s")" "${mh[$s]}" "${mr[$s]}" "$dh" "$dr" "$mv" "${guard_line[$s]:--}"
done
echo "  (brk at start of last run without shim ${start[none]:-?}; seconds per run:${secs[none]})"

if [[ -n ${mh[none]:-} && -n ${mh[on]:-} ]]; then
	for kind in HWM RSS; do
		if [[ $kind == HWM ]]; then a=${mh[on]} b=${mh[none]}; else a=${mr[on]} b=${mr[none]}; fi
		if ((a * 100 > b * (100 + limit_pct))); then
			fail_later "$mode: median Vm$kind with the shim $a KiB is $(pct "$a" "$b" | tr -d +) % above $b KiB without it (limit $limit_pct %)"
		fi
	done
else
	fail_later "$mode: no figures to compare"
fi

echo "total time ${SECONDS} s"
exit_if_failed "guard RSS ($mode): $LJMM_FAILS problem(s), above"
echo "PASS: $mode: RSS with the shim's default guard (placed at the break) within $limit_pct % of RSS without the shim"
