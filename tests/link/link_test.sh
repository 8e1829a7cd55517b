#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The link form (ljmm.o, issue 19) linked into a MAP_32BIT-only host, one form per call:
#   link_test.sh REPO OBJ PRELOAD CC HOST FORM
# REPO the source tree; OBJ the build's ljmm.o; PRELOAD its libljmm_preload.so; CC its C
# compiler. HOST: c (link_host.c, 1 MiB MAP_32BIT blocks until ENOMEM) or luajit (the
# project's MAP_32BIT-only LuaJIT, luajit.o and libluajit.a from scripts/build-luajit.sh's
# work tree, filling a heap of 1 MiB strings with tests/lua/fill.lua). FORM:
#   dynamic      a dynamic PIE executable with ljmm.o, its entry points exported (the
#                .pc's dynamic list) so that a preloaded copy stands aside
#   wrap         the same with -Wl,--wrap=mmap,... as well (a --wrap build line)
#   static       -static with the build's C library (glibc, or musl in a musl build)
#   static-pie   -static-pie (glibc)
#   musl-static  musl-gcc -static, in a glibc build: ljmm.o and the preload library are
#                built for musl from the same tree (cached in OBJ's directory, link-musl/)
# The link line is the one docs/deploy.md gives: `pkg-config --libs ljmm-link`, from the
# build's link component installed into a scratch prefix. The static LuaJIT hosts are
# linked by docs/deploy.md's own blocks (link-static-glibc, link-static-musl) as written,
# and its link-check block is run on them.
# Each form must reach within 1 % of the same host, linked without ljmm.o and run under
# LD_PRELOAD (the same PIE-ness, dynamic), and that host alone must stop near 1 GiB.
# Exit 0 pass, 1 fail, 77 skipped (no static C library, no musl-gcc, no LuaJIT build).
set -euo pipefail
repo=$1 obj=$2 preload=$3 cc=$4 host=$5 form=$6
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$repo/tests/lib/common.sh"
unset LD_PRELOAD LJMM_STATS LJMM_LOG_FILE LJMM_ENABLE
tmp=""
make_tmpdir tmp link keep
variant=map32only

case $form in
dynamic) link_flags=(-pie) ref_flags=(-pie) ;;
wrap) link_flags=(-pie "-Wl,--wrap=mmap,--wrap=mmap64,--wrap=munmap,--wrap=mremap") ref_flags=(-pie) ;;
static) link_flags=(-static -no-pie) ref_flags=(-no-pie) ;;
static-pie) link_flags=(-static-pie) ref_flags=(-pie) ;;
musl-static)
	need_cmd musl-gcc musl-tools
	link_flags=(-static -no-pie) ref_flags=(-no-pie)
	# The same sources and the same CMake rules, built with musl-gcc once per build tree
	# (flock: ctest -j runs the C and the LuaJIT form at once). gcc-ar and gcc-ranlib,
	# as scripts/test.sh's musl build gives them, for the preload library's LTO.
	musl=$(dirname "$obj")/link-musl
	log "building ljmm.o and libljmm_preload.so with musl-gcc in $musl"
	flock "$musl.lock" sh -c '
		[ -f "$2/CMakeCache.txt" ] || cmake -S "$1" -B "$2" -DCMAKE_C_COMPILER=musl-gcc \
			-DLJMM_BUILD_TESTS=OFF -DCMAKE_C_COMPILER_AR="$(command -v gcc-ar)" \
			-DCMAKE_C_COMPILER_RANLIB="$(command -v gcc-ranlib)" >"$2.log" 2>&1 &&
		cmake --build "$2" -j1 --target ljmm_link ljmm_preload >>"$2.log" 2>&1' sh "$repo" "$musl" ||
		fail "the musl build of the link form failed (see $musl.log)"
	cc=musl-gcc obj=$musl/ljmm.o preload=$musl/libljmm_preload.so
	;;
*) fail "unknown form '$form'" ;;
esac
# The compiler's C library (musl-gcc's -dumpmachine says x86_64-linux-gnu).
libc=$(printf '#include <features.h>\n#ifdef __GLIBC__\nlibc=glibc\n#else\nlibc=other\n#endif\n' |
	"$cc" -E -P - | sed -n 's/^libc=//p')
if [ "$libc" != glibc ]; then
	[ "$form" != static-pie ] || skip "Debian's musl-gcc -static-pie makes a dynamic executable"
	variant=map32only-musl
fi
need_cmd pkg-config pkgconf
if [ "$form" = musl-static ]; then
	# docs/deploy.md's musl build of the link form, as written, in the source tree, with
	# build-musl standing for the musl tree above (configured again, built already) and
	# /opt/ljmm-musl for the scratch prefix.
	doc_block "$repo/docs/deploy.md" link-musl-build >"$tmp/doc-build.sh" ||
		fail "docs/deploy.md: no block after <!-- ljmm-test: link-musl-build"
	sed -i -e "s|build-musl|$musl|g" -e "s|/opt/ljmm-musl|$tmp/prefix|g" "$tmp/doc-build.sh"
	flock "$musl.lock" sh -c 'cd "$1" && sh -eu "$2"' sh "$repo" "$tmp/doc-build.sh" >"$tmp/install.log" 2>&1 ||
		LJMM_FAIL_SHOW="$tmp/doc-build.sh $tmp/install.log" fail "docs/deploy.md's link-musl-build block failed"
else
	cmake --install "$(dirname "$obj")" --prefix "$tmp/prefix" --component link >"$tmp/install.log" 2>&1 ||
		LJMM_FAIL_SHOW="$tmp/install.log" fail "cmake --install $(dirname "$obj") --component link failed"
fi
pc=$(find "$tmp/prefix" -name ljmm-link.pc)
[ -n "$pc" ] || fail "the link component installed no ljmm-link.pc"
read -r -a ljmm_libs <<<"$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --libs ljmm-link)"
case ${ljmm_libs[0]:-} in
"$tmp/prefix/"*/ljmm/ljmm.o) ;;
*) fail "pkg-config --libs ljmm-link gave '${ljmm_libs[*]}', which does not start with the installed object" ;;
esac
log "link line: ${ljmm_libs[*]}"
case $form in dynamic | wrap) ;; *)
	printf 'int main(void) { return 0; }\n' >"$tmp/probe.c"
	"$cc" "${link_flags[@]}" -o "$tmp/probe" "$tmp/probe.c" >"$tmp/probe.log" 2>&1 ||
		skip "$cc ${link_flags[*]} cannot link: no static C library (Debian: libc6-dev, musl-dev)"
	;;
esac

# The host's objects and the flags it links with.
case $host in
c)
	"$cc" -O2 -fPIE -o "$tmp/host.o" -c "$repo/tests/link/link_host.c"
	host_objs=("$tmp/host.o") host_libs=()
	;;
luajit)
	src=$(LJMM_LUAJIT_VARIANTS=$variant "$repo/scripts/build-luajit.sh" --print-src 2>/dev/null |
		awk -v k="luajit/$variant" '$1 == k { print $2 }') || true
	[ -n "$src" ] || skip "luajit/$variant is not built (run scripts/build-luajit.sh)"
	[ -f "$src/luajit.o" ] && [ -f "$src/libluajit.a" ] ||
		skip "no luajit.o and libluajit.a in $src (the work tree of scripts/build-luajit.sh)"
	host_objs=("$src/luajit.o" "$src/libluajit.a") host_libs=(-lm)
	[ "$libc" != glibc ] || host_libs+=(-ldl)
	;;
*) fail "unknown host '$host'" ;;
esac

# run NAME PROG [ENV...]: runs PROG with ENV, sets reach (MiB) from its output.
run() {
	local name=$1 prog=$2 out=$tmp/$1.out err=$tmp/$1.err
	shift 2
	if [ "$host" = c ]; then
		env "$@" "$prog" >"$out" 2>"$err" || LJMM_FAIL_SHOW="$out $err" fail "$name: exit $?"
		reach=$(sed -n 's/^reach: \([0-9]*\) MiB.*/\1/p' "$out")
	else
		env "$@" "$prog" "$repo/tests/lua/fill.lua" strings >"$out" 2>"$err" ||
			LJMM_FAIL_SHOW="$out $err" fail "$name: exit $?"
		grep -q '^RESULT .* oom=1' "$out" || LJMM_FAIL_SHOW="$out $err" fail "$name: the heap did not fill to OOM"
		reach=$(sed -n 's/^RESULT .*max_heap_mib=\([0-9]*\).*/\1/p' "$out")
	fi
	[ -n "$reach" ] || LJMM_FAIL_SHOW="$out $err" fail "$name: no reach figure"
	log "$name: $reach MiB"
}

"$cc" "${ref_flags[@]}" -o "$tmp/plain" "${host_objs[@]}" "${host_libs[@]}" -pthread >"$tmp/plain.log" 2>&1 ||
	LJMM_FAIL_SHOW="$tmp/plain.log" fail "$cc ${ref_flags[*]} without $obj failed"
# ljmm.o first, where nginx's --with-ld-opt puts it: before the LuaJIT archive.
"$cc" "${link_flags[@]}" -o "$tmp/linked" "${ljmm_libs[@]}" "${host_objs[@]}" "${host_libs[@]}" -pthread \
	>"$tmp/link.log" 2>&1 || LJMM_FAIL_SHOW="$tmp/link.log" fail "$cc ${link_flags[*]} with $obj failed"
if [ "$form" = wrap ]; then
	# The --wrap line sends the host's references to __wrap_mmap ..., which only the
	# object defines: without it the same line cannot link.
	! "$cc" "${link_flags[@]}" -o "$tmp/wrap-alone" "${host_objs[@]}" "${host_libs[@]}" -pthread \
		>"$tmp/wrap-alone.log" 2>&1 || fail "$form: linked without the object: the --wrap flags did nothing"
	grep -q "undefined reference to \`__wrap_mm" "$tmp/wrap-alone.log" ||
		LJMM_FAIL_SHOW="$tmp/wrap-alone.log" fail "$form: linking without the object failed, but not for __wrap_mmap"
fi
# The static LuaJIT hosts: linked again by docs/deploy.md's line for them, run as written
# in a directory where host.o and libluajit-5.1.a are this LuaJIT's luajit.o and
# libluajit.a, with pkg-config finding the link component installed above (the musl
# block's /opt/ljmm-musl is that prefix). That executable is the one measured below, so
# a docs change that breaks the line fails this test.
doc=$repo/docs/deploy.md docblk=""
if [ "$host" = luajit ]; then
	case $form in
	static) if [ "$libc" = glibc ]; then docblk=link-static-glibc; else docblk=link-static-musl; fi ;;
	musl-static) docblk=link-static-musl ;;
	esac
fi
if [ -n "$docblk" ]; then
	doc_block "$doc" "$docblk" | sed "s|/opt/ljmm-musl|$tmp/prefix|g" >"$tmp/doc-link.sh"
	# The README shows the glibc line too: the same.
	if [ "$docblk" = link-static-glibc ] && [ "$(doc_block "$repo/README.md" "$docblk")" != "$(doc_block "$doc" "$docblk")" ]; then
		fail "README.md's link-static-glibc block differs from $doc's"
	fi
	grep -F 'pkg-config --libs ljmm-link' "$tmp/doc-link.sh" >/dev/null ||
		LJMM_FAIL_SHOW="$tmp/doc-link.sh" fail "$doc: the block after <!-- ljmm-test: $docblk has no pkg-config --libs ljmm-link line"
	mkdir "$tmp/doc"
	ln -s "$src/luajit.o" "$tmp/doc/host.o"
	ln -s "$src/libluajit.a" "$tmp/doc/libluajit-5.1.a"
	(cd "$tmp/doc" && PKG_CONFIG_PATH=$(dirname "$pc") sh -eu "$tmp/doc-link.sh") >"$tmp/doc-link.log" 2>&1 ||
		LJMM_FAIL_SHOW="$tmp/doc-link.sh $tmp/doc-link.log" fail "$doc's $docblk block did not link the host"
	[ -x "$tmp/doc/host" ] || LJMM_FAIL_SHOW="$tmp/doc-link.sh" fail "$doc's $docblk block made no ./host"
	mv "$tmp/linked" "$tmp/linked-first"
	cp "$tmp/doc/host" "$tmp/linked"
	log "linked by $doc's $docblk block: $(grep -v '^export ' "$tmp/doc-link.sh")"
fi
case $form in
static*) ! readelf -l "$tmp/linked" | grep INTERP >/dev/null || fail "$form: the executable has a program interpreter" ;;
esac
# guard.c's default depends on glibc's version (older than 2.31: lazy): a static glibc
# link must carry gnu_get_libc_version, not leave guard.c's reference NULL (musl's case).
if [ "$libc" = glibc ] && [ "${link_flags[0]}" != -pie ]; then
	nm "$tmp/linked" | grep ' [TW] gnu_get_libc_version$' >/dev/null ||
		fail "$form: gnu_get_libc_version is not linked in: the guard would take musl's default"
fi

run kernel "$tmp/plain"
kernel=$reach
[ "$kernel" -ge 900 ] && [ "$kernel" -le 1100 ] || fail "without the shim the host reached $kernel MiB, not about 1 GiB"
run preload "$tmp/plain" LD_PRELOAD="$preload"
ref=$reach
run linked "$tmp/linked" LJMM_STATS=on
# The constructor read LJMM_STATS and the destructor printed the exit report: the
# start-up work ran in the linked form too.
served=$(sed -n 's/.*ljmm\[[0-9]*\]: calls: .* region-served=\([0-9]*\) .*/\1/p' "$tmp/linked.err")
[ -n "$served" ] || LJMM_FAIL_SHOW="$tmp/linked.err" fail "linked: no exit report (did the constructor run?)"
[ "$served" -gt 0 ] || fail "linked: region-served=0"
[ $((reach * 100)) -ge $((ref * 99)) ] ||
	fail "linked $form: $reach MiB, more than 1 % below the preloaded host's $ref MiB"
by=""
[ -z "$docblk" ] || by=" (linked by the $docblk line of docs/deploy.md)"
echo "$host/$form: linked $reach MiB (region-served=$served), preloaded $ref MiB, kernel alone $kernel MiB$by"
if [ -n "$docblk" ]; then
	# docs/deploy.md's checks, as written, on the host its line linked.
	doc_block "$doc" link-check >"$tmp/doc-check.sh" || fail "$doc: no block after <!-- ljmm-test: link-check"
	(cd "$tmp/doc" && sh -eu "$tmp/doc-check.sh") >"$tmp/doc-check.out" 2>&1 ||
		LJMM_FAIL_SHOW="$tmp/doc-check.sh $tmp/doc-check.out" fail "$doc's link-check block failed on the linked host"
	for want in '\.note\.ljmm' ' T ljmm_version$' 'ljmm\[[0-9]*\]: calls: '; do
		grep -q "$want" "$tmp/doc-check.out" ||
			LJMM_FAIL_SHOW="$tmp/doc-check.out" fail "$doc's link-check block: no '$want' in what it printed"
	done
	echo "$host/$form: docs/deploy.md's link-check block finds the note, the symbol and the exit report"
fi

if [ "$host" = luajit ]; then
	# The trap the object avoids: the same object as the one member of an archive, at the
	# same place. Nothing has asked for mmap when the linker visits it, so it takes nothing,
	# and libluajit.a's calls bind to the C library's mmap: the program links and stops
	# near 1 GiB (docs/design.md, "The ordering trap").
	ar rc "$tmp/libljmm.a" "$obj"
	if [ "$form" = wrap ]; then
		# With --wrap the archive's trap is a failed link (the issue's own account):
		# libluajit.a asks for __wrap_mmap64 after the archive was passed.
		! "$cc" "${link_flags[@]}" -o "$tmp/trap" -L"$tmp" -lljmm "${host_objs[@]}" "${host_libs[@]}" -pthread \
			>"$tmp/trap.log" 2>&1 || fail "$form: -lljmm before libluajit.a linked: the trap is gone, revisit the design"
		grep -q "undefined reference to \`__wrap_mm" "$tmp/trap.log" ||
			LJMM_FAIL_SHOW="$tmp/trap.log" fail "$form: -lljmm first failed to link, but not for __wrap_mmap"
		echo "$host/$form: the same object as an archive placed first: the link fails (undefined __wrap_mmap64)"
	else
		"$cc" "${link_flags[@]}" -o "$tmp/trap" -L"$tmp" -lljmm "${host_objs[@]}" "${host_libs[@]}" -pthread \
			>"$tmp/trap.log" 2>&1 || LJMM_FAIL_SHOW="$tmp/trap.log" fail "$cc ${link_flags[*]} with -lljmm first failed"
		run trap "$tmp/trap"
		[ "$reach" -le 1100 ] || fail "an archive before libluajit.a served ($reach MiB): the trap is gone, revisit the design"
		echo "$host/$form: the same object as an archive placed first: $reach MiB (not linked in)"
	fi
fi

if [ "${link_flags[0]}" = -pie ]; then
	# Preloaded as well: exactly one copy serves (one exit report), the other stands aside.
	run both "$tmp/linked" LJMM_STATS=on LD_PRELOAD="$preload"
	grep -q 'ljmm\[[0-9]*\]: .*stands aside' "$tmp/both.err" ||
		LJMM_FAIL_SHOW="$tmp/both.err" fail "linked and preloaded: no copy stood aside"
	n=$(grep -c 'ljmm\[[0-9]*\]: calls: ' "$tmp/both.err" || true)
	[ "$n" = 1 ] || LJMM_FAIL_SHOW="$tmp/both.err" fail "linked and preloaded: $n exit reports, expected 1"
	[ $((reach * 100)) -ge $((ref * 99)) ] || fail "linked and preloaded: $reach MiB, preloaded alone $ref MiB"
	echo "$host/$form with the preload library too: $reach MiB, one copy served"
fi
