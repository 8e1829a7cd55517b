#!/bin/sh
# SPDX-License-Identifier: MIT
# ljmm-maps is built hardened like Debian's own binaries (tools/CMakeLists.txt): bound
# at load time (BIND_NOW, or NOW in FLAGS_1), its relocations read-only after that
# (a GNU_RELRO segment), and its buffers guarded (an import of __stack_chk_fail from
# -fstack-protector-strong, or of a fortified __*_chk function from
# -D_FORTIFY_SOURCE=2). A program built without any of it, made here with the same
# compiler, must fail every check, so the checks can fail.
# Usage: hardening_test.sh LJMM_MAPS CC      (exit 77 without readelf)
set -u
maps=$1 cc=$2
command -v readelf >/dev/null || {
	echo "SKIP: readelf is not installed (Debian: binutils)"
	exit 77
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check FILE: prints what is missing; exit status 0 when nothing is.
check() {
	bad=0
	readelf -dW "$1" >"$tmp/dyn" 2>&1
	readelf -lW "$1" >"$tmp/seg" 2>&1
	readelf --dyn-syms -W "$1" >"$tmp/syms" 2>&1
	if ! grep -E '\(BIND_NOW\)|\(FLAGS_1\).*NOW|\(FLAGS\).*BIND_NOW' "$tmp/dyn" >/dev/null; then
		echo "  $1: not bound at load time (no BIND_NOW, no NOW in FLAGS_1)"
		bad=1
	fi
	if ! grep -E '^ *GNU_RELRO ' "$tmp/seg" >/dev/null; then
		echo "  $1: no GNU_RELRO segment"
		bad=1
	fi
	guards=$(awk '$7 == "UND" && $8 ~ /^(__stack_chk_fail|__[a-z0-9_]+_chk)(@|$)/ { sub(/@.*/, "", $8); print $8 }' "$tmp/syms" | sort -u | tr '\n' ' ')
	if [ -z "$guards" ]; then
		echo "  $1: imports neither __stack_chk_fail nor a fortified __*_chk function"
		bad=1
	else
		echo "  $1: imports $guards"
	fi
	return "$bad"
}

echo "ljmm-maps:"
check "$maps" || {
	echo "FAIL: ljmm-maps is not hardened"
	exit 1
}

# The negative control: the same compiler, everything turned off.
cat >"$tmp/plain.c" <<'C'
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
	char buf[64];
	strcpy(buf, argc > 1 ? argv[1] : "x");
	printf("%s\n", buf);
	return 0;
}
C
if ! "$cc" -O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=0 -fno-stack-protector -Wl,-z,lazy -Wl,-z,norelro \
	-o "$tmp/plain" "$tmp/plain.c" 2>"$tmp/cc.err"; then
	cat "$tmp/cc.err"
	echo "FAIL: cannot build the negative control with $cc"
	exit 1
fi
echo "negative control (built without hardening):"
out=$(check "$tmp/plain")
printf '%s\n' "$out"
[ "$(printf '%s\n' "$out" | grep -c -E 'not bound|no GNU_RELRO|imports neither')" = 3 ] || {
	echo "FAIL: the checks do not catch a program built without hardening"
	exit 1
}
echo "hardening: ok"
