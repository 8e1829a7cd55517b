#!/bin/sh
# SPDX-License-Identifier: MIT
# The link form holds what the preload library holds, so that the two cannot drift apart
# (issue 19: "no second copy of any logic"; the unit suites test these sources):
#   - CMake compiles the same sources for both, with the same target-level definitions
#     (but LJMM_LINK_FORM, the object's --wrap names) and options (SOURCES_FILE,
#     written by tests/link/CMakeLists.txt at generation);
#   - every shim/*.c is one of them;
#   - ljmm.o holds one object per source and no other (its STT_FILE symbols, which
#     `ld -r` and `objcopy --localize-hidden` keep);
#   - every function of the preload library (local or global; LTO's clones by their
#     name) is defined in ljmm.o, but the start-up code the linker adds to a shared
#     object (crti/crtbegin) and glibc's libc_nonshared.a pthread_atfork.
# Usage: check_object.sh LJMM_O LIBRARY SOURCES_FILE SOURCE_DIR
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
obj=$1 lib=$2 list=$3 src=$4
need_cmd nm binutils
need_cmd readelf binutils
dir=""
make_tmpdir dir check-object

# field NAME: the value of NAME=... in SOURCES_FILE, one item a line, paths relative to
# SOURCE_DIR, sorted.
field() {
	sed -n "s/^$1=//p" "$list" | tr ';' '\n' | sed "s|^$src/||" | grep -v '^$' | LC_ALL=C sort
}
for what in sources definitions options; do
	field "preload_$what" >"$dir/preload_$what"
	# LJMM_LINK_FORM: interpose.c's --wrap names, in the object only.
	field "link_$what" | { grep -vx LJMM_LINK_FORM || true; } >"$dir/link_$what"
	if ! cmp -s "$dir/preload_$what" "$dir/link_$what"; then
		diff "$dir/preload_$what" "$dir/link_$what" | sed 's/^/  | /'
		fail "the preload library's $what (<) and the link form's (>) differ"
	fi
done
[ -s "$dir/preload_sources" ] || fail "no sources in $list"

(cd "$src" && find shim -name '*.c' | LC_ALL=C sort) >"$dir/shim_c"
missing=$(LC_ALL=C comm -23 "$dir/shim_c" "$dir/preload_sources" | tr '\n' ' ')
[ -z "$missing" ] || fail "shim files in neither form: $missing"

sed 's|.*/||' "$dir/preload_sources" | LC_ALL=C sort >"$dir/want_files"
readelf -sW "$obj" | awk '$4 == "FILE" {print $8}' | LC_ALL=C sort >"$dir/obj_files"
if ! cmp -s "$dir/want_files" "$dir/obj_files"; then
	diff "$dir/want_files" "$dir/obj_files" | sed 's/^/  | /'
	fail "$obj does not hold exactly one object per source (< the sources, > its file symbols)"
fi

# Functions by name: LTO's clones (.lto_priv.0, .isra.0, .part.0, .constprop.0) are
# their origin's.
functions() { nm "$1" | awk '$2 ~ /^[tT]$/ {print $3}' | sed 's/\..*//' | LC_ALL=C sort -u; }
[ "$(nm "$lib" 2>/dev/null | wc -l)" -gt 0 ] || skip "$lib has no symbol table (stripped)"
functions "$lib" | grep -vxE '_init|_fini|frame_dummy|register_tm_clones|deregister_tm_clones|__do_global_dtors_aux|__pthread_atfork|pthread_atfork' \
	>"$dir/lib_fns"
functions "$obj" >"$dir/obj_fns"
extra=$(LC_ALL=C comm -23 "$dir/lib_fns" "$dir/obj_fns" | tr '\n' ' ')
[ -z "$extra" ] || fail "functions of the preload library that ljmm.o lacks: $extra"
echo "link object: $(wc -l <"$dir/obj_files") sources, as the preload library's; its $(wc -l <"$dir/lib_fns") functions all in ljmm.o ($(wc -l <"$dir/obj_fns") there, fewer inlined without LTO)"
