#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Draw docs/layout.svg: the low 2 GiB of a real x86-64 process whose MAP_32BIT memory
# was filled under the shim, as a plain-text SVG.
#
#   docs/layout-picture.sh capture LIBRARY HOLDER [OUT.svg]
#       Runs HOLDER (tests/tools' map32_hold_nopie: a -no-pie program that maps 1 MiB
#       MAP_32BIT blocks until ENOMEM, prints "ready", then waits) with
#       LD_PRELOAD=LIBRARY and LJMM_DEBUG=on, takes its /proc/PID/maps, its start_brk
#       (/proc/PID/stat field 47) and the blocks the shim's region served (the debug
#       lines "region: served addr=... len=..."), stops it, and draws OUT.svg
#       (default: docs/layout.svg next to this script).
#   docs/layout-picture.sh render DATA|--from-svg SVG [OUT.svg]
#       Draws again from captured data (embedded in every picture, in its <metadata>),
#       so a committed picture can be checked against this script.
#
# Classes: kernel window (anonymous memory the kernel's MAP_32BIT window served, in
# [1 GiB, 2 GiB)), region (blocks the shim served, from the debug log), program (the
# executable's mappings), brk heap, guard (the one-page PROT_NONE mapping at the
# break), other, free. Typical use, from a build tree with the tests built:
#   docs/layout-picture.sh capture build/libljmm_preload.so build/tests/tools/map32_hold_nopie
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
G1=$((1 << 30))
G2=$((1 << 31))
M1=$((1 << 20))
PAGE=4096

die() { printf 'layout-picture.sh: %s\n' "$*" >&2; exit 1; }
hex() { printf '0x%x' "$1"; }
# mib BYTES: "12.3 MiB" (tenths, rounded down), or KiB below 1 MiB.
mib() {
	if [ "$1" -lt "$M1" ]; then printf '%d KiB' $(($1 / 1024)); else printf '%d.%d MiB' $(($1 / M1)) $((($1 % M1) * 10 / M1)); fi
}
xml() { local s=${1//&/&amp;}; s=${s//</&lt;}; s=${s//>/&gt;}; printf '%s' "${s//\"/&quot;}"; }

# ---- capture ---------------------------------------------------------------------
capture() {
	local lib=$1 holder=$2 dir pid line start_brk kernel
	[ -f "$lib" ] || die "no library at $lib"
	[ -x "$holder" ] || die "no program at $holder (build the tests: tests/tools/map32_hold_nopie)"
	dir=$(mktemp -d "${TMPDIR:-/tmp}/ljmm-layout.XXXXXX")
	LD_PRELOAD=$(readlink -f "$lib") LJMM_DEBUG=on LJMM_LOG_FILE=$dir/debug.log "$holder" >"$dir/out" 2>"$dir/err" &
	pid=$!
	for _ in $(seq 1 300); do
		grep -q '^ready' "$dir/out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || { cat "$dir/err" >&2; rm -rf "$dir"; die "$holder exited early"; }
		sleep 0.1
	done
	grep -q '^ready' "$dir/out" || { kill "$pid"; rm -rf "$dir"; die "$holder did not fill its memory in 30 s"; }
	cp "/proc/$pid/maps" "$dir/maps"
	line=$(cat "/proc/$pid/stat")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	# Field 47 (start_brk), counted after the command name's closing parenthesis.
	start_brk=$(awk '{print $45}' <<<"${line##*) }")
	kernel=$(uname -r)
	{
		echo "program: $(basename "$holder")"
		echo "filled: $(sed -n 's/^ready //p' "$dir/out")"
		echo "start_brk: $(hex "$start_brk")"
		echo "kernel: $kernel"
		echo "captured: $(date -u +%Y-%m-%d)"
		# The region's low end: LJMM_REGION_LO's default (64 KiB) or vm.mmap_min_addr.
		local mmin
		mmin=$(cat /proc/sys/vm/mmap_min_addr 2>/dev/null || echo 65536)
		echo "region_lo: $(hex $((mmin > 65536 ? mmin : 65536)))"
		echo "above_2g_mappings: $(awk '{split($1, a, "-"); if (length(a[1]) > 8 || a[1] >= "80000000") n++} END {print n + 0}' "$dir/maps")"
		# The region's blocks, merged into runs.
		sed -n 's/.*region: served addr=\(0x[0-9a-f]*\) len=\([0-9]*\).*/\1 \2/p' "$dir/debug.log" |
			while read -r a l; do echo "$((a)) $((a + l))"; done | sort -n |
			awk 'NR == 1 {s = $1; e = $2; next} $1 == e {e = $2; next} {printf "served: %x-%x\n", s, e; s = $1; e = $2}
			     END {if (NR) printf "served: %x-%x\n", s, e}'
		# Mappings below 2 GiB, the program's path reduced to its name.
		awk -v prog="$(readlink -f "$holder")" -v name="$(basename "$holder")" '
			{split($1, a, "-"); if (length(a[1]) > 8 || a[1] >= "80000000") next
			 if ($6 == prog) $6 = name
			 print "map: " $0}' "$dir/maps"
	} >"$dir/data"
	cat "$dir/data"
	rm -rf "$dir"
}

# ---- render ----------------------------------------------------------------------
# Intervals: "start end class" lines, sorted, covering [0, 2 GiB) without overlap.
classify() {
	local data=$1 prog start_brk guard lo hi perms path s e
	prog=$(sed -n 's/^program: //p' <<<"$data")
	start_brk=$(($(sed -n 's/^start_brk: //p' <<<"$data")))
	guard=$((((start_brk + PAGE - 1) / PAGE) * PAGE))
	mapfile -t served < <(sed -n 's/^served: //p' <<<"$data")
	local cursor=0
	while read -r range perms _ _ _ path; do
		lo=$((16#${range%-*}))
		hi=$((16#${range#*-}))
		[ "$hi" -le "$G2" ] || hi=$G2
		[ "$lo" -le "$cursor" ] || echo "$cursor $lo free"
		cursor=$hi
		if [ "$path" = "$prog" ]; then
			echo "$lo $hi program"
		elif [ "$path" = "[heap]" ]; then
			echo "$lo $hi heap"
		elif [ -z "$path" ] && [ "$perms" = "---p" ] && [ "$lo" = "$guard" ] && [ $((hi - lo)) = "$PAGE" ]; then
			echo "$lo $hi guard"
		elif [ -n "$path" ]; then
			echo "$lo $hi other"
		else
			# Anonymous: the region's blocks, and around them the kernel's window.
			local pos=$lo run rs re
			for run in "${served[@]}"; do
				rs=$((16#${run%-*}))
				re=$((16#${run#*-}))
				if [ "$re" -le "$pos" ] || [ "$rs" -ge "$hi" ]; then continue; fi
				[ "$rs" -le "$pos" ] || anon "$pos" "$rs"
				s=$((rs > pos ? rs : pos))
				e=$((re < hi ? re : hi))
				echo "$s $e region"
				pos=$e
			done
			[ "$pos" -ge "$hi" ] || anon "$pos" "$hi"
		fi
	done < <(sed -n 's/^map: //p' <<<"$data")
	[ "$cursor" -ge "$G2" ] || echo "$cursor $G2 free"
}
# Anonymous memory the region did not serve: the kernel's window above 1 GiB, "other"
# below (a .bss, or anything else).
anon() {
	local s=$1 e=$2
	if [ "$e" -le "$G1" ]; then
		echo "$s $e other"
	elif [ "$s" -ge "$G1" ]; then
		echo "$s $e kernel"
	else
		echo "$s $G1 other"
		echo "$G1 $e kernel"
	fi
}

# Adjacent intervals of one class become one.
merge() {
	awk '$1 == e && $3 == c {e = $2; next} NR > 1 {print s, e, c} {s = $1; e = $2; c = $3} END {if (NR) print s, e, c}'
}

declare -A FILL=([kernel]="#4e79a7" [region]="#59a14f" [program]="#9c755f" [heap]="#f28e2b"
	[guard]="#e15759" [other]="#bab0ac" [free]="#ffffff")
declare -A NAME=([kernel]="kernel's MAP_32BIT window" [region]="ljmm region" [program]="program"
	[heap]="brk heap" [guard]="guard page" [other]="other" [free]="free")

# x in hundredths of a pixel for ADDR on a bar at X0 px, W px wide, showing [A, B).
xh() { echo $(($3 * 100 + ($1 - $4) * $2 * 100 / ($5 - $4))); }
px() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }

render() {
	local data=$1 iv prog filled kernel captured start_brk guard mmin above y
	iv=$(classify "$data" | merge)
	prog=$(sed -n 's/^program: //p' <<<"$data")
	filled=$(sed -n 's/^filled: //p' <<<"$data")
	kernel=$(sed -n 's/^kernel: //p' <<<"$data")
	captured=$(sed -n 's/^captured: //p' <<<"$data")
	start_brk=$(($(sed -n 's/^start_brk: //p' <<<"$data")))
	mmin=$(($(sed -n 's/^region_lo: //p' <<<"$data")))
	above=$(sed -n 's/^above_2g_mappings: //p' <<<"$data")
	guard=$(awk '$3 == "guard" {print $1; exit}' <<<"$iv")
	local -A total=()
	local s e c largest=0 largest_at=0
	while read -r s e c; do
		total[$c]=$((${total[$c]:-0} + e - s))
		if [ "$c" = free ] && [ $((e - s)) -gt "$largest" ]; then largest=$((e - s)) largest_at=$s; fi
	done <<<"$iv"

	# bar Y H X0 W A B: the intervals clipped to [A, B), to scale.
	drawbar() {
		local y=$1 h=$2 x0=$3 w=$4 a=$5 b=$6 s e c xs xe
		printf '<rect x="%d" y="%d" width="%d" height="%d" fill="#ffffff" stroke="#555555" stroke-width="1"/>\n' "$x0" "$y" "$w" "$h"
		while read -r s e c; do
			[ "$c" != free ] || continue
			if [ "$e" -le "$a" ] || [ "$s" -ge "$b" ]; then continue; fi
			[ "$s" -ge "$a" ] || s=$a
			[ "$e" -le "$b" ] || e=$b
			xs=$(xh "$s" "$w" "$x0" "$a" "$b")
			xe=$(xh "$e" "$w" "$x0" "$a" "$b")
			[ $((xe - xs)) -ge 30 ] || xe=$((xs + 30)) # at least 0.3 px, to stay visible
			printf '<rect x="%s" y="%d" width="%s" height="%d" fill="%s"><title>%s [%s, %s) %s</title></rect>\n' \
				"$(px "$xs")" "$y" "$(px $((xe - xs)))" "$h" "${FILL[$c]}" "${NAME[$c]}" "$(hex "$s")" "$(hex "$e")" "$(mib $((e - s)))"
		done <<<"$iv"
	}
	# ticks Y X0 W A B STEP: tick marks under a bar, labelled in MiB (GiB when whole).
	ticks() {
		local y=$1 x0=$2 w=$3 a=$4 b=$5 step=$6 t x anchor label
		for ((t = a; t <= b; t += step)); do
			x=$(xh "$t" "$w" "$x0" "$a" "$b")
			anchor=middle
			[ "$t" != "$a" ] || anchor=start
			[ "$t" != "$b" ] || anchor=end
			if [ "$t" = 0 ]; then
				label=0
			elif [ $((t % G1)) = 0 ]; then
				label="$((t / G1)) GiB"
			else
				label="$((t / M1)) MiB"
			fi
			printf '<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#555555"/>\n' "$(px "$x")" "$y" "$(px "$x")" $((y + 5))
			printf '<text x="%s" y="%d" text-anchor="%s" class="small">%s</text>\n' "$(px "$x")" $((y + 16)) "$anchor" "$label"
		done
	}
	# markers Y H X0 W A B: a line over each program, heap and guard interval in [A, B)
	# (they are too small to see at this scale), with a label under the bar.
	markers() {
		local y=$1 h=$2 x0=$3 w=$4 a=$5 b=$6 s e c x ly=$(($1 + $2 + 32))
		while read -r s e c; do
			case $c in program | guard | heap) ;; *) continue ;; esac
			if [ "$e" -le "$a" ] || [ "$s" -ge "$b" ]; then continue; fi
			x=$(px "$(xh "$s" "$w" "$x0" "$a" "$b")")
			printf '<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="%s" stroke-width="2"/>\n' "$x" $((y - 3)) "$x" $((y + h + 3)) "${FILL[$c]}"
			printf '<text x="%d" y="%d" class="small" fill="%s">%s [%s, %s), %s</text>\n' "$x0" "$ly" "${FILL[$c]}" \
				"$(xml "${NAME[$c]}")" "$(hex "$s")" "$(hex "$e")" "$(mib $((e - s)))"
			ly=$((ly + 13))
		done <<<"$iv"
	}
	# zoom Y X0 W A B TITLE: a to-scale close-up of [A, B), tied to its place on the main bar.
	zoom() {
		local y=$1 x0=$2 w=$3 a=$4 b=$5 title=$6 ma mb
		ma=$(xh "$a" 920 40 0 "$G2")
		mb=$(xh "$b" 920 40 0 "$G2")
		printf '<polygon points="%s,133 %s,133 %d,%d %d,%d" fill="#e8e8e8" stroke="#999999" stroke-width="0.5"/>\n' \
			"$(px "$ma")" "$(px "$mb")" $((x0 + w)) $((y - 20)) "$x0" $((y - 20))
		printf '<text x="%d" y="%d" class="label">%s</text>\n' "$x0" $((y - 6)) "$(xml "$title")"
		drawbar "$y" 36 "$x0" "$w" "$a" "$b"
		ticks $((y + 36)) "$x0" "$w" "$a" "$b" $(((b - a) / 2))
		markers "$y" 36 "$x0" "$w" "$a" "$b"
	}

	cat <<-EOF
		<?xml version="1.0" encoding="UTF-8"?>
		<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="470" viewBox="0 0 1000 470" font-family="DejaVu Sans, Verdana, sans-serif">
		<title>The low 2 GiB of a non-PIE x86-64 process whose MAP_32BIT memory was filled under ljmm</title>
		<metadata id="ljmm-layout-data"><![CDATA[
		$data
		]]></metadata>
		<style>.label{font-size:13px;fill:#222222}.small{font-size:10px;fill:#444444}.title{font-size:16px;font-weight:bold;fill:#222222}</style>
		<rect x="0" y="0" width="1000" height="470" fill="#ffffff"/>
		<text x="40" y="26" class="title">The low 2 GiB of an x86-64 process, MAP_32BIT memory filled under ljmm</text>
		<text x="40" y="44" class="small">$(xml "$prog") (-no-pie), $(xml "$filled") of 1 MiB MAP_32BIT blocks until ENOMEM, LD_PRELOAD=libljmm_preload.so; Linux $(xml "$kernel"), $(xml "$captured"). To scale; close-ups below.</text>
	EOF
	# Main bar, [0, 2 GiB).
	printf '<text x="%s" y="70" text-anchor="middle" class="label">below 1 GiB: empty without ljmm, served by its region once the window is full</text>\n' "$(px "$(xh $((G1 / 2)) 920 40 0 "$G2")")"
	printf '<text x="%s" y="70" text-anchor="middle" class="label">[1 GiB, 2 GiB): the kernel&apos;s MAP_32BIT window</text>\n' "$(px "$(xh $((G1 + G1 / 2)) 920 40 0 "$G2")")"
	drawbar 76 36 40 920 0 "$G2"
	ticks 112 40 920 0 "$G2" $((G2 / 8))
	if [ -n "$guard" ]; then
		local gx
		gx=$(px "$(xh "$guard" 920 40 0 "$G2")")
		printf '<line x1="%s" y1="73" x2="%s" y2="115" stroke="%s" stroke-width="2"/>\n' "$gx" "$gx" "${FILL[guard]}"
	fi
	# Close-ups: the bottom of the address space with the program, the break with the
	# guard, and the start of the kernel's window.
	zoom 190 40 280 0 $((8 * M1)) "[0, 8 MiB): the bottom, the program at 4 MiB"
	if [ -n "$guard" ]; then
		local za=$(((guard / M1 - 4) * M1))
		[ "$za" -ge 0 ] || za=0
		zoom 190 360 280 "$za" $((za + 8 * M1)) "the break at $(hex "$start_brk"): guard page"
	fi
	zoom 190 680 280 "$G1" $((G1 + 32 * M1)) "[1 GiB, 1 GiB + 32 MiB): the window's start"
	# Legend and totals.
	y=305
	local cls
	for cls in kernel region program heap guard other free; do
		printf '<rect x="40" y="%d" width="14" height="14" fill="%s" stroke="#555555" stroke-width="0.5"/>\n' "$y" "${FILL[$cls]}"
		printf '<text x="62" y="%d" class="label">%s</text>\n' $((y + 12)) "$(xml "${NAME[$cls]}")"
		printf '<text x="260" y="%d" class="label">%s</text>\n' $((y + 12)) "$(mib "${total[$cls]:-0}")"
		y=$((y + 20))
	done
	local notes=(
		"The kernel serves MAP_32BIT only from its window [1 GiB, 2 GiB); once that is full"
		"(ENOMEM), ljmm serves each request from the free ranges of the whole low 2 GiB: the smallest range that"
		"holds the block, at its top. Region blocks fill the space below 1 GiB around the program and the break,"
		"and any hole the kernel left in its window that a block fits. Placement uses MAP_FIXED_NOREPLACE: nothing"
		"mapped is ever replaced. Free: the first $(mib "$mmin") are never handed out (LJMM_REGION_LO), the"
		"rest are holes smaller than a 1 MiB block; largest $(mib "$largest") at $(hex "$largest_at")."
		"The guard page sits at the break (the brk heap is empty): brk cannot grow into region blocks;"
		"glibc's malloc takes mmap memory instead. Above 2 GiB, not drawn: $above mappings"
		"(shared libraries, ld.so, stack, vdso). Drawn by docs/layout-picture.sh; the data is in this file."
	)
	y=309
	local n
	for n in "${notes[@]}"; do
		printf '<text x="340" y="%d" class="small">%s</text>\n' $((y + 8)) "$(xml "$n")"
		y=$((y + 15))
	done
	echo '</svg>'
}

mode=${1:-}
case $mode in
capture)
	[ $# -ge 3 ] || die "usage: $0 capture LIBRARY HOLDER [OUT.svg]"
	out=${4:-$here/layout.svg}
	data=$(capture "$2" "$3")
	render "$data" >"$out.new"
	mv "$out.new" "$out"
	echo "wrote $out"
	;;
render)
	[ $# -ge 2 ] || die "usage: $0 render DATA|--from-svg SVG [OUT.svg]"
	if [ "$2" = --from-svg ]; then
		[ $# -ge 3 ] || die "usage: $0 render --from-svg SVG [OUT.svg]"
		data=$(awk '/<metadata id="ljmm-layout-data"><!\[CDATA\[/ {on = 1; next} /^\]\]><\/metadata>/ {on = 0} on' "$3")
		out=${4:-/dev/stdout}
	else
		data=$(cat "$2")
		out=${3:-/dev/stdout}
	fi
	[ -n "$data" ] || die "no layout data"
	render "$data" >"$out"
	;;
*)
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
