#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# build-luajit.sh - fetch Debian's LuaJIT sources (luajit = LuaJIT 2.1,
# luajit2 = OpenResty's fork) and build three variants of each with the
# upstream Makefile, for testing the ljmm shim:
#
#   nogc64     XCFLAGS=-DLUAJIT_DISABLE_GC64: non-GC64 LuaJIT 2.1, which tries
#              mmap(MAP_32BIT) first and then probes hinted addresses itself.
#   map32only  as nogc64, plus scripts/patches/luajit-map32-only.patch, which
#              turns off 2.1's probing fallback so that allocation only uses
#              mmap(MAP_32BIT), like LuaJIT 2.0 (stops at the kernel's ~1 GiB
#              MAP_32BIT window without the shim).
#   gc64       the default build (GC64 on x86-64).
#   map32only-musl  as map32only, built with musl-gcc (Debian's musl-tools) and run by
#              musl's loader /lib/ld-musl-x86_64.so.1; -DLUAJIT_NO_UNWIND, because
#              gcc 12's static unwinder (libgcc_eh.a, which musl-gcc links) is built
#              for glibc 2.35+ and needs its _dl_find_object, which musl lacks. Not in
#              the default list: ask for it with LJMM_LUAJIT_VARIANTS=map32only-musl.
#
# Layout (all under build-luajit/, git-ignored; override with LJMM_LUAJIT_DIR):
#   src/                          downloaded .dsc/.tar.* and extracted trees
#   work/<pkg>-<ver>-<variant>/   build trees (kept for debugging with gdb)
#   <pkg>-<ver>/<variant>/        install prefix: bin/luajit, lib/libluajit-5.1.so.2
#
# A variant whose prefix already holds a matching stamp is not rebuilt.
#
# Usage: scripts/build-luajit.sh [--print | --print-src] [PKG...]
#   PKG defaults to "luajit luajit2".
#   --print       only print the binaries already built (exit 1 if none).
#   --print-src   only print, for those, the build tree's src/ (luajit.o, libluajit.a:
#                 what a host that links the interpreter in needs; exit 1 if none).
# Output: one line per binary, "<pkg>/<variant> <path to bin/luajit>" (with --print-src,
# "<pkg>/<variant> <path to work/<pkg>-<ver>-<variant>/src>").
#
# Environment: LJMM_LUAJIT_DIR (cache dir), LJMM_MAKE_JOBS (default 2),
#   LJMM_LUAJIT_VARIANTS (default "nogc64 map32only gc64").
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
CACHE=${LJMM_LUAJIT_DIR:-$ROOT/build-luajit}
SRC=$CACHE/src
WORK=$CACHE/work
JOBS=${LJMM_MAKE_JOBS:-2}
read -r -a VARIANTS <<<"${LJMM_LUAJIT_VARIANTS:-nogc64 map32only gc64}"
PATCH=$SCRIPT_DIR/patches/luajit-map32-only.patch
export DEBIAN_FRONTEND=noninteractive

log() { printf '[build-luajit] %s\n' "$*" >&2; }
die() { printf '[build-luajit] error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root for: $*"
  fi
}

# --- deb-src ---------------------------------------------------------------

have_deb_src() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] && grep -Eq '^[[:space:]]*deb-src[[:space:]]' "$f" && return 0
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    # deb822: an enabled stanza whose Types: lists deb-src.
    awk 'BEGIN { IGNORECASE = 1; found = 0 }
         /^[[:space:]]*$/ { if (t && en) found = 1; t = 0; en = 1; next }
         /^Types:/ && /deb-src/ { t = 1 }
         /^Enabled:[[:space:]]*no/ { en = 0 }
         END { if (t && en) found = 1; exit !found }' en=1 "$f" && return 0
  done
  return 1
}

enable_deb_src() {
  local out=/etc/apt/sources.list.d/ljmm-deb-src.sources
  local main=/etc/apt/sources.list.d/debian.sources
  local tmp
  tmp=$(mktemp)
  if [ -r "$main" ]; then
    # Copy every stanza of the deb822 file, with "Types: deb-src".
    awk '/^Types:/ { print "Types: deb-src"; next } { print }' "$main" >"$tmp"
  else
    # Classic one-line sources: mirror each "deb" line as "deb-src" (deb822).
    local line
    : >"$tmp"
    while read -r line; do
      # shellcheck disable=SC2086
      set -- $line
      [ "${1:-}" = deb ] || continue
      shift
      local opts=""
      if [[ "${1:-}" == \[* ]]; then
        opts=$1; shift
        while [ "${opts%]}" = "$opts" ] && [ $# -gt 0 ]; do opts="$opts $1"; shift; done
      fi
      [ $# -ge 2 ] || continue
      local uri=$1 suite=$2; shift 2
      {
        echo "Types: deb-src"
        echo "URIs: $uri"
        echo "Suites: $suite"
        echo "Components: $*"
        if [[ "$opts" == *signed-by=* ]]; then
          local sb=${opts#*signed-by=}; sb=${sb%%[] ]*}
          echo "Signed-By: $sb"
        fi
        echo
      } >>"$tmp"
    done < <(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
  fi
  [ -s "$tmp" ] || { rm -f "$tmp"; die "found no Debian 'deb' sources to mirror as deb-src"; }
  log "enabling deb-src in $out"
  as_root install -m 0644 "$tmp" "$out"
  rm -f "$tmp"
}

setup_apt() {
  local need_update=0
  if ! have_deb_src; then
    enable_deb_src
    need_update=1
  fi
  # apt-get source needs the Sources indices: update if they are missing.
  if [ "$need_update" = 1 ] || ! ls /var/lib/apt/lists/*_Sources* >/dev/null 2>&1; then
    log "apt-get update"
    as_root apt-get update -q >&2
  fi
  local pkgs=() p
  local need=(dpkg-dev build-essential patch xz-utils)
  if [[ " ${VARIANTS[*]} " == *-musl\ * ]]; then need+=(musl-tools); fi
  for p in "${need[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null || pkgs+=("$p")
  done
  if [ ${#pkgs[@]} -gt 0 ]; then
    log "apt-get install ${pkgs[*]}"
    as_root apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2 </dev/null
  fi
}

# --- sources ---------------------------------------------------------------

# Print the upstream+Debian version of the candidate source package $1
# (epoch dropped), from the .dsc name apt would download.
source_version() {
  local pkg=$1 dsc tmp
  # In an empty dir, so apt prints every URI instead of "Skipping already ...".
  tmp=$(mktemp -d)
  dsc=$(cd "$tmp" && apt-get source --print-uris --only-source "$pkg" 2>/dev/null \
        | awk '{ print $2 }' | grep -E "^${pkg}_.*\.dsc$" | sed -n 1p) || true
  rmdir "$tmp"
  [ -n "$dsc" ] || return 1
  dsc=${dsc#"${pkg}"_}
  printf '%s\n' "${dsc%.dsc}"
}

# Download (if needed) and extract source $1 version $2; print the tree.
fetch_source() {
  local pkg=$1 ver=$2 tree=$SRC/$1-$2
  if [ ! -f "$tree/src/lj_alloc.c" ]; then
    if [ ! -f "$SRC/${pkg}_${ver}.dsc" ]; then
      log "apt-get source --download-only $pkg ($ver)"
      (cd "$SRC" && apt-get source -q --download-only --only-source "$pkg" >&2 </dev/null)
    fi
    rm -rf "$tree"
    log "dpkg-source -x ${pkg}_${ver}.dsc"
    # Extracts the upstream tarball and applies debian/patches.
    (cd "$SRC" && dpkg-source -q -x "${pkg}_${ver}.dsc" "$tree" >&2)
  fi
  [ -f "$tree/src/lj_alloc.c" ] || die "no src/lj_alloc.c in $tree"
  printf '%s\n' "$tree"
}

# --- build -----------------------------------------------------------------

variant_xcflags() {
  case $1 in
    nogc64|map32only) echo "-DLUAJIT_DISABLE_GC64" ;;
    map32only-musl) echo "-DLUAJIT_DISABLE_GC64 -DLUAJIT_NO_UNWIND" ;;
    gc64) echo "" ;;
    *) die "unknown variant $1" ;;
  esac
}

# The compiler a variant is built with (empty: the Makefile's default, gcc).
variant_cc() {
  case $1 in
    *-musl) echo musl-gcc ;;
    *) echo "" ;;
  esac
}

# What a built variant depends on; a prefix with a different stamp is rebuilt.
variant_stamp() {
  local variant=$1 pkg=$2 ver=$3
  printf 'pkg=%s\nversion=%s\nvariant=%s\nxcflags=%s\n' \
    "$pkg" "$ver" "$variant" "$(variant_xcflags "$variant")"
  if [ -n "$(variant_cc "$variant")" ]; then
    printf 'cc=%s %s\n' "$(variant_cc "$variant")" "$(dpkg-query -W -f='${Version}' musl-dev 2>/dev/null || true)"
  fi
  if [[ $variant == map32only* ]]; then
    printf 'patch=%s\n' "$(sha256sum <"$PATCH" | cut -d' ' -f1)"
  fi
}

# Where a variant of PKGVER (<pkg>-<ver>) is installed, and the tree it is built in (kept
# for gdb, and for hosts that link luajit.o and libluajit.a: --print-src).
variant_prefix() { printf '%s\n' "$CACHE/$1/$2"; }
variant_tree() { printf '%s\n' "$WORK/$1-$2"; }

build_variant() {
  local pkg=$1 ver=$2 tree=$3 variant=$4 prefix bdir
  prefix=$(variant_prefix "$pkg-$ver" "$variant")
  bdir=$(variant_tree "$pkg-$ver" "$variant")
  local stamp xcflags cc t0
  stamp=$(variant_stamp "$variant" "$pkg" "$ver")
  if [ -f "$prefix/.ljmm-stamp" ] && [ "$(cat "$prefix/.ljmm-stamp")" = "$stamp" ] \
     && [ -x "$prefix/bin/luajit" ] && [ -e "$prefix/lib/libluajit-5.1.so.2" ]; then
    log "$pkg/$variant: up to date ($prefix)"
    return 0
  fi
  xcflags=$(variant_xcflags "$variant")
  cc=$(variant_cc "$variant")
  t0=$SECONDS
  log "$pkg/$variant: building in $bdir"
  rm -rf "$bdir" "$prefix"
  mkdir -p "$WORK"
  cp -a "$tree" "$bdir"
  if [[ $variant == map32only* ]]; then
    log "$pkg/$variant: applying $(basename "$PATCH")"
    patch -d "$bdir" -p1 --forward --batch <"$PATCH" >&2
  fi
  # The upstream Makefile, not debian/rules. CCDEBUG=-g keeps symbols for gdb.
  # PREFIX at build time too, so package.path points into the prefix.
  # ${cc:+CC=...}: the host tools (minilua, buildvm) are built with it too, and run here.
  make -C "$bdir" -j"$JOBS" ${cc:+CC="$cc"} PREFIX="$prefix" XCFLAGS="$xcflags" CCDEBUG=-g >"$bdir/build.log" 2>&1 \
    || { tail -n 30 "$bdir/build.log" >&2; die "$pkg/$variant: make failed (log: $bdir/build.log)"; }
  make -C "$bdir" PREFIX="$prefix" install >>"$bdir/build.log" 2>&1 \
    || { tail -n 30 "$bdir/build.log" >&2; die "$pkg/$variant: make install failed"; }
  # 2.1 development releases install only bin/luajit-<version>: add the link.
  if [ ! -e "$prefix/bin/luajit" ]; then
    local exe
    exe=$(find "$prefix/bin" -maxdepth 1 -name 'luajit-*' -type f | sed -n 1p)
    [ -n "$exe" ] || die "$pkg/$variant: no luajit binary installed"
    ln -s "$(basename "$exe")" "$prefix/bin/luajit"
  fi
  [ -e "$prefix/lib/libluajit-5.1.so.2" ] || die "$pkg/$variant: no lib/libluajit-5.1.so.2"
  check_variant "$prefix/bin/luajit" "$variant" || die "$pkg/$variant: self-check failed"
  printf '%s\n' "$stamp" >"$prefix/.ljmm-stamp"
  log "$pkg/$variant: built in $((SECONDS - t0)) s"
}

# Sanity check: the binary runs and GC64 is on or off as asked
# (ffi.abi("gc64") is true exactly in GC64 builds); a musl variant is started by musl's
# loader.
check_variant() {
  local bin=$1 variant=$2 out want=false
  [ "$variant" = gc64 ] && want=true
  if [[ $variant == *-musl ]]; then
    out=$(LC_ALL=C readelf -l "$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
    log "  interpreter: $out"
    [[ $out == */ld-musl-* ]] || { log "  expected musl's loader"; return 1; }
  fi
  out=$("$bin" -e 'local ffi = require("ffi")
    print(jit.version, tostring(ffi.abi("gc64")), jit.status())') || return 1
  log "  $out"
  [ "$(awk -F'\t' '{ print $2 }' <<<"$out")" = "$want" ] || {
    log "  expected ffi.abi(\"gc64\") = $want"; return 1; }
}

# print_built bin|src: the built variants' binaries, or their build trees' src/.
print_built() {
  local found=0 pkg dir pkgver variant prefix
  for pkg in "${PKGS[@]}"; do
    for dir in "$CACHE/$pkg"-*/; do
      [ -d "$dir" ] || continue
      pkgver=$(basename "$dir")
      for variant in "${VARIANTS[@]}"; do
        prefix=$(variant_prefix "$pkgver" "$variant")
        if [ -f "$prefix/.ljmm-stamp" ] && [ -x "$prefix/bin/luajit" ]; then
          if [ "$1" = src ]; then
            printf '%s/%s %s\n' "$pkg" "$variant" "$(variant_tree "$pkgver" "$variant")/src"
          else
            printf '%s/%s %s\n' "$pkg" "$variant" "$prefix/bin/luajit"
          fi
          found=1
        fi
      done
    done
  done
  [ "$found" = 1 ]
}

main() {
  local print_only="" arg
  PKGS=()
  for arg in "$@"; do
    case $arg in
      --print) print_only=bin ;;
      --print-src) print_only=src ;;
      -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
      luajit|luajit2) PKGS+=("$arg") ;;
      *) die "unknown argument: $arg" ;;
    esac
  done
  [ ${#PKGS[@]} -gt 0 ] || PKGS=(luajit luajit2)
  if [ -n "$print_only" ]; then
    print_built "$print_only"
    return
  fi
  [ -f "$PATCH" ] || die "missing $PATCH"
  setup_apt
  mkdir -p "$SRC" "$WORK"
  local pkg ver tree variant
  for pkg in "${PKGS[@]}"; do
    ver=$(source_version "$pkg") || die "no source package $pkg (is deb-src enabled?)"
    tree=$(fetch_source "$pkg" "$ver")
    for variant in "${VARIANTS[@]}"; do
      build_variant "$pkg" "$ver" "$tree" "$variant"
    done
  done
  print_built bin
}

main "$@"
