#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# build-nginx-link.sh - nginx from Debian's source packages with lua-nginx-module and
# ngx_devel_kit compiled in (--add-module), against the project's MAP_32BIT-only
# luajit2 linked statically (libluajit-5.1.a of scripts/build-luajit.sh's
# luajit2/map32only), and the link form given to ./configure exactly as the
# "nginx-link" block of docs/deploy.md says: --with-ld-opt="$(pkg-config --libs
# ljmm-link)". For the ctest nginx_link (tests/nginx/link.sh).
#
# Debian 12 ships the modules as source packages of their own: nginx (1.22.1),
# libnginx-mod-http-lua (lua-nginx-module 0.10.23) and libnginx-mod-http-ndk
# (ngx_devel_kit 0.3.2); each is unpacked with its debian/patches applied. As
# Debian's Lua module does, the build defines LUA_DEFAULT_PATH as
# /usr/share/lua/5.1/?.lua, where Debian's lua-resty-core and lua-resty-lrucache put
# the resty.core the module loads at start-up. PCRE: 0.10.23 knows only PCRE1
# (--without-pcre2, libpcre3-dev), as Debian's module links -lpcre.
#
#   build BUILD    configure and make nginx once (cached: the configured tree and its
#                  objects, keyed by the three source versions, the LuaJIT build's
#                  stamp, the configure arguments and the compiler). Configure links its
#                  feature tests with the --with-ld-opt, so BUILD's link form (cmake
#                  --install BUILD --component link) is installed into the cache for it.
#   link BUILD OUT link two binaries from the cached objects with BUILD's current link
#                  form: OUT/nginx-link with the docs' --with-ld-opt (from BUILD's link
#                  form installed in OUT/prefix), OUT/nginx-nolink with the same link
#                  line without it. Seconds, so every test run links the current ljmm.o.
#   --print        print the cached tree (exit 1 if none is built)
#
# Layout (LJMM_NGINX_LINK_DIR, default build-nginx/; CI: /var/cache/ljmm/nginx):
#   src/             downloaded .dsc/.tar.* files
#   tree/            nginx/, lua-nginx-module/, ngx_devel_kit/, luajit/ (the static
#                    library and headers), ljmm/ (the link form configure saw),
#                    ldopt (its --with-ld-opt), link.cmd (the binary's link command,
#                    from make -n), .ljmm-stamp
#
# Environment: LJMM_NGINX_LINK_DIR, LJMM_LUAJIT_DIR (where build-luajit.sh's builds are),
#   LJMM_MAKE_JOBS (default 2).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
CACHE=${LJMM_NGINX_LINK_DIR:-$ROOT/build-nginx}
SRC=$CACHE/src
TREE=$CACHE/tree
JOBS=${LJMM_MAKE_JOBS:-2}
DOC=$ROOT/docs/deploy.md
# Bump when the build changes in a way the stamp cannot see.
REVISION=1
export DEBIAN_FRONTEND=noninteractive

# shellcheck source-path=SCRIPTDIR source=../tests/lib/common.sh
. "$ROOT/tests/lib/common.sh"   # doc_block

say() { printf '[build-nginx-link] %s\n' "$*" >&2; }
die() { printf '[build-nginx-link] error: %s\n' "$*" >&2; exit 1; }

# Everything but the link form: the same for both binaries.
# LUA_DEFAULT_PATH by a header: configure's feature tests run the compiler inside
# sh -c "...", which no quoting of a string macro in --with-cc-opt survives.
CONFIGURE_ARGS=(--with-cc-opt="-g -O2 -include ../lua_default_path.h"
  --without-pcre2 --without-http_gzip_module
  --add-module=../ngx_devel_kit --add-module=../lua-nginx-module)

# docs_ldopt PREFIX: the --with-ld-opt of docs/deploy.md's nginx-link block, its
# command run as written with PKG_CONFIG_PATH at the link form installed in PREFIX.
docs_ldopt() {
  local block arg cmd pcdir out
  local -a argv
  block=$(doc_block "$DOC" nginx-link) || die "$DOC: no block after <!-- ljmm-test: nginx-link"
  arg=$(grep -o -- '--with-ld-opt="[^"]*"' <<<"$block" | sed -n 1p)
  [ -n "$arg" ] || die "$DOC: the nginx-link block has no --with-ld-opt=\"...\""
  arg=${arg#--with-ld-opt=\"}
  arg=${arg%\"}
  # Only a command substitution of one plain command: run it without eval.
  [[ $arg =~ ^\$\(([A-Za-z0-9_.=\ -]+)\)$ ]] || die "$DOC: cannot run the nginx-link block's --with-ld-opt: $arg"
  cmd=${BASH_REMATCH[1]}
  read -r -a argv <<<"$cmd"
  pcdir=$(dirname "$(find "$1" -name ljmm-link.pc | sed -n 1p)")
  out=$(PKG_CONFIG_PATH=$pcdir "${argv[@]}") || die "'$cmd' failed (PKG_CONFIG_PATH=$pcdir)"
  # One space between words, as nginx's Makefile has them (pkg-config ends with one).
  read -r -a argv <<<"$out"
  printf '%s\n' "${argv[*]}"
}

# install_link BUILD PREFIX: BUILD's link form (component link) in PREFIX, as an operator
# installs it.
install_link() {
  local build=$1 prefix=$2 obj
  [ -f "$build/CMakeCache.txt" ] || die "$build is not a CMake build of ljmm"
  rm -rf "$prefix"
  cmake --install "$build" --prefix "$prefix" --component link >/dev/null ||
    die "cmake --install $build --component link failed"
  obj=$(find "$prefix" -name ljmm.o | sed -n 1p)
  [ -n "$obj" ] || die "$build's link component installs no ljmm.o"
  [ -n "$(find "$prefix" -name ljmm-link.pc)" ] || die "$build's link component installs no ljmm-link.pc"
}

# The luajit2/map32only prefix of scripts/build-luajit.sh.
luajit_prefix() {
  local bin
  bin=$(LJMM_LUAJIT_DIR=${LJMM_LUAJIT_DIR:-} "$SCRIPT_DIR/build-luajit.sh" --print luajit2 2>/dev/null |
        awk '$1 == "luajit2/map32only" { print $2 }') || true
  [ -n "$bin" ] || die "luajit2/map32only is not built (scripts/build-luajit.sh luajit2)"
  (cd "$(dirname "$bin")/.." && pwd -P)
}

# fetch PKG: the newest version of source package PKG whose files the archive serves
# (this machine's security mirror lists nginx versions it does not serve), downloaded
# into SRC once; prints the .dsc.
fetch() {
  local pkg=$1 ver v
  for ver in $(apt-cache showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p' |
               sort -u | sort -r -V); do
    v=${ver#*:}
    if [ -f "$SRC/${pkg}_$v.dsc" ] ||
       (cd "$SRC" && apt-get source -q --download-only --only-source "$pkg=$ver" >/dev/null 2>&1 </dev/null); then
      printf '%s\n' "$SRC/${pkg}_$v.dsc"
      return 0
    fi
    say "$pkg $ver: not served by the archive, trying an older version"
  done
  die "no source package $pkg could be downloaded (is deb-src enabled? scripts/build-luajit.sh enables it)"
}

stamp_of() {
  local lj=$1 ldopt=$2
  shift 2
  printf 'revision=%s\n' "$REVISION"
  printf 'source=%s\n' "${@##*/}"
  printf 'luajit=%s\n' "$(tr '\n' ' ' <"$lj/.ljmm-stamp")"
  printf 'configure=%s --with-ld-opt=%s\n' "${CONFIGURE_ARGS[*]}" "$ldopt"
  printf 'cc=%s\n' "$(gcc --version | sed -n 1p)"
}

build() {
  local build=$1 lj dsc_ngx dsc_lua dsc_ndk ldopt stamp t0 n
  lj=$(luajit_prefix)
  mkdir -p "$SRC"
  dsc_ngx=$(fetch nginx)
  dsc_lua=$(fetch libnginx-mod-http-lua)
  dsc_ndk=$(fetch libnginx-mod-http-ndk)
  # The link form configure's feature tests link with, at a fixed place so that the
  # --with-ld-opt (and so the stamp) stays the same from one build of ljmm to the next.
  install_link "$build" "$CACHE/ljmm"
  ldopt=$(docs_ldopt "$CACHE/ljmm")
  stamp=$(stamp_of "$lj" "$ldopt" "$dsc_ngx" "$dsc_lua" "$dsc_ndk")
  if [ -f "$TREE/.ljmm-stamp" ] && [ "$(cat "$TREE/.ljmm-stamp")" = "$stamp" ] && [ -s "$TREE/link.cmd" ]; then
    say "up to date ($TREE)"
    return 0
  fi
  t0=$SECONDS
  rm -rf "$TREE"
  mkdir -p "$TREE/luajit/lib" "$TREE/luajit/include"
  dpkg-source -q -x "$dsc_ngx" "$TREE/nginx" >&2
  dpkg-source -q -x "$dsc_lua" "$TREE/lua-nginx-module" >&2
  dpkg-source -q -x "$dsc_ndk" "$TREE/ngx_devel_kit" >&2
  # Only the archive in LUAJIT_LIB: the module's -lluajit-5.1 must not find the .so.
  cp "$lj/lib/libluajit-5.1.a" "$TREE/luajit/lib/"
  cp -r "$lj/include/luajit-2.1/." "$TREE/luajit/include/"
  printf '#define LUA_DEFAULT_PATH "/usr/share/lua/5.1/?.lua;"\n' >"$TREE/lua_default_path.h"
  say "configure (--with-ld-opt=\"$ldopt\")"
  (cd "$TREE/nginx" && LUAJIT_LIB="$TREE/luajit/lib" LUAJIT_INC="$TREE/luajit/include" \
     ./configure "${CONFIGURE_ARGS[@]}" --with-ld-opt="$ldopt" >"$TREE/configure.log" 2>&1) ||
    { tail -n 30 "$TREE/configure.log" >&2; die "configure failed (log: $TREE/configure.log)"; }
  say "make -j$JOBS"
  make -C "$TREE/nginx" -j"$JOBS" >"$TREE/make.log" 2>&1 ||
    { tail -n 30 "$TREE/make.log" >&2; die "make failed (log: $TREE/make.log)"; }
  # The binary's link command: its objects up to date, make -n prints only that.
  rm -f "$TREE/nginx/objs/nginx"
  (cd "$TREE/nginx" && make -n -f objs/Makefile objs/nginx) >"$TREE/link.cmd"
  n=$(grep -c -F -- "$ldopt" "$TREE/link.cmd" || true)
  [ "$n" = 1 ] || die "the link command holds the --with-ld-opt $n times, not once ($TREE/link.cmd)"
  printf '%s\n' "$ldopt" >"$TREE/ldopt"
  printf '%s\n' "$stamp" >"$TREE/.ljmm-stamp"
  say "built in $((SECONDS - t0)) s"
}

# link_one CMD_FILE LDOPT_OLD LDOPT_NEW OUT: the cached link command with the
# --with-ld-opt replaced, writing OUT.
link_one() {
  local cmd old=$2 new=$3 out=$4
  cmd=$(<"$1")
  cmd=${cmd/"$old"/"$new"}
  cmd=${cmd/"-o objs/nginx "/"-o $out "}
  [[ $cmd == *"-o $out "* ]] || die "no '-o objs/nginx' in $1"
  (cd "$TREE/nginx" && bash -c "$cmd") >"$out.log" 2>&1 ||
    { cat "$out.log" >&2; die "linking $out failed"; }
}

link() {
  local build=$1 out=$2 old new t0=$SECONDS
  if [ ! -s "$TREE/link.cmd" ] || [ ! -f "$TREE/.ljmm-stamp" ]; then
    die "nginx is not built in $TREE (run: $0 build BUILD)"
  fi
  mkdir -p "$out"
  install_link "$build" "$out/prefix"
  old=$(<"$TREE/ldopt")
  new=$(docs_ldopt "$out/prefix")
  link_one "$TREE/link.cmd" "$old" "$new" "$out/nginx-link"
  link_one "$TREE/link.cmd" "$old" "" "$out/nginx-nolink"
  say "linked $out/nginx-link (--with-ld-opt=\"$new\") and $out/nginx-nolink in $((SECONDS - t0)) s"
}

locked() {
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"
  flock "$1" 9
}

case ${1:-} in
  build) [ $# = 2 ] || die "usage: $0 build BUILD"; locked -x; build "$(cd "$2" && pwd)" ;;
  link) [ $# = 3 ] || die "usage: $0 link BUILD OUT"; locked -s; link "$(cd "$2" && pwd)" "$3" ;;
  --print) [ -f "$TREE/.ljmm-stamp" ] && [ -s "$TREE/link.cmd" ] && printf '%s\n' "$TREE" ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' ;;
  *) die "usage: $0 build BUILD | link BUILD OUT | --print" ;;
esac
