#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian 11 (bullseye) stage: the shim built and tested with bullseye's own
# userland (glibc 2.31, gcc 10, cmake 3.18, Check 0.15, OpenSSL 1.1.1) and run under
# bullseye's stock non-GC64 `luajit` (2.1.0~beta3) and `nginx-light` 1.18 with
# `libnginx-mod-http-lua`, in a chroot made by debootstrap from Debian's archive.
#
# Usage (as root):
#   scripts/debian11.sh root            build the bullseye root, or say it is up to date
#   scripts/debian11.sh test [--deb FILE] [--log FILE]
#                                       copy the source into the root, build it there and
#                                       run ctest inside: the unit suites, the preload
#                                       tests and the debian11_* workload tests
#                                       (tests/debian11/); FILE.deb defaults to one built
#                                       here by cpack; the ctest output also goes to --log
#   scripts/debian11.sh reach           one line for the benchmark: how far bullseye's
#                                       stock luajit churns without and with the shim
#   scripts/debian11.sh shell [CMD...]  a command (default: bash) inside the root, /proc mounted
#
# The root is cached in LJMM_DEBIAN11_DIR (default build-debian11/ in the checkout;
# scripts/test.sh uses /var/cache/ljmm/debian11 in CI), keyed by the package list, the
# suites and mirror, and ROOT_VERSION below: change any and the root is made anew.
# Environment: LJMM_DEBIAN11_DIR, LJMM_DEBIAN11_MIRROR (the Debian archive to use,
# default: the one in /etc/apt/sources.list.d/, or http://deb.debian.org/debian).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
CACHE=${LJMM_DEBIAN11_DIR:-$REPO/build-debian11}
ROOTFS=$CACHE/root
SUITE=bullseye
# Bump when the way the root is made changes (the cache key includes it).
ROOT_VERSION=1
# What the root holds beyond debootstrap's minbase: the toolchain and Check for the
# build; the stock LuaJIT and nginx with its Lua module; curl for the requests; the
# OpenSSL headers and CA bundle for the guard measurement; procps for pgrep; jemalloc
# for preload_jemalloc (the shim beside another malloc preload).
PACKAGES=(build-essential cmake pkg-config check luajit nginx-light libnginx-mod-http-lua
  curl libssl-dev ca-certificates procps libjemalloc2)
# Inside the root: where the source is copied and built.
IN_SRC=/root/ljmm-src
IN_BUILD=/root/ljmm-build
IN_DEB=/root/ljmm.deb

log() { printf '[debian11] %s\n' "$*" >&2; }
die() { printf '[debian11] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mount)"

# shellcheck source-path=SCRIPTDIR source=debroot.sh
. "$SCRIPT_DIR/debroot.sh"

# Stop any process left in the root and unmount /proc (debroot.sh), on every exit.
cleanup() {
  local rc=$?
  set +e
  release_mounts || rc=1
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the root ----------------------------------------------------------------

# The last check on a new root: the stock luajit must be non-GC64.
check_root() {
  [ "$(chroot "$1" /usr/bin/luajit -e 'io.write(tostring(require("ffi").abi("gc64")))')" = false ] ||
    die "bullseye's luajit is GC64: the stage tests nothing"
}

make_root() {
  cached_root "${LJMM_DEBIAN11_MIRROR:-}" "" check_root /usr/bin/luajit /usr/sbin/nginx
}

# --- inside the root ------------------------------------------------------------

# The versions that matter here, from the root's dpkg database.
versions() {
  local p out=""
  for p in libc6 gcc-10 cmake check libssl1.1 luajit nginx-light libnginx-mod-http-lua; do
    # shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
    out+="$p $(in_root dpkg-query -W -f='${Version}' "$p"), "
  done
  printf '%s\n' "${out%, }"
}

# The tests run inside: the unit suites, the preload tests (with the kernel-alone
# control and the library's symbol checks), the link form's C host and preload scenarios
# linked with glibc 2.31 and binutils 2.35 (link_c_*, link_lowmem_*, link_hardening_*: a
# dynamic and a -static link with this root's toolchain; the LuaJIT and musl forms skip
# here) and the stage's own workload tests. The rest of the host suite (real-client tests
# with LuaJIT builds from Debian 12's sources, stress, fuzz, docs) tests the host's
# clients, not this userland.
TEST_REGEX='^(unit_|preload_|kernel_alone_|library_|debian11_|link_c_|link_lowmem_|link_hardening_)'

run_tests() {
  local logfile=$CACHE/ctest-output.log t0=$SECONDS rc=0
  DEB=""
  while [ $# -gt 0 ]; do
    case $1 in
    --deb) DEB=${2:?--deb FILE}; shift 2 ;;
    --log) logfile=${2:?--log FILE}; shift 2 ;;
    *) die "test: unknown argument $1" ;;
    esac
  done
  make_root
  [ -n "$DEB" ] || host_deb "$REPO/build-debian11-deb"
  [ -f "$DEB" ] || die "no package $DEB"
  copy_source "$ROOTFS$IN_SRC"
  cp "$DEB" "$ROOTFS$IN_DEB"
  mount_proc "$ROOTFS"
  log "inside: $(versions)"
  log "building in the root ($IN_BUILD) with its own compiler"
  if ! { in_root cmake -S "$IN_SRC" -B "$IN_BUILD" -DLJMM_BUILD_TESTS=ON -DLJMM_DEBIAN11_TESTS=ON \
    -DLJMM_DEBIAN11_DEB="$IN_DEB" && in_root cmake --build "$IN_BUILD" -j2; } >"$CACHE/build.log" 2>&1; then
    tail -n 40 "$CACHE/build.log" >&2
    die "the build in the root failed (log: $CACHE/build.log)"
  fi
  log "ctest -R '$TEST_REGEX' in the root"
  in_root sh -c "cd $IN_BUILD && ctest --output-on-failure -j2 -R '$TEST_REGEX'" | tee "$logfile" || rc=$?
  # ctest shows only failing tests' output: the workloads' figures, whatever happened.
  echo
  echo "Debian 11 workload figures (from $IN_BUILD/Testing/Temporary/LastTest.log):"
  awk '/^[0-9]+\/[0-9]+ Test: debian11_/ { name = $3; p = 1; next }
       /^<end of output>/ { p = 0 }
       p && !/^(Command|Directory|Output):|^-+$|start time:|^$/ { print "  " name ": " $0 }' \
    "$ROOTFS$IN_BUILD/Testing/Temporary/LastTest.log" || true
  log "Debian 11 stage: $((SECONDS - t0)) s (ctest exit $rc)"
  return "$rc"
}

# One line for the benchmark: the stock luajit's largest churn heap without and with
# the shim (built in the root, library only).
reach() {
  local out rc=0
  make_root
  copy_source "$ROOTFS$IN_SRC"
  mount_proc "$ROOTFS"
  if ! { in_root cmake -S "$IN_SRC" -B /root/ljmm-reach-build -DLJMM_BUILD_TESTS=OFF &&
    in_root cmake --build /root/ljmm-reach-build -j2 --target ljmm_preload; } >"$CACHE/reach-build.log" 2>&1; then
    tail -n 40 "$CACHE/reach-build.log" >&2
    die "building the library in the root failed (log: $CACHE/reach-build.log)"
  fi
  out=$(in_root bash "$IN_SRC/tests/debian11/luajit_churn.sh" /root/ljmm-reach-build/libljmm_preload.so "$IN_SRC") || rc=$?
  printf '%s\n' "$out" | grep -v '^debian11_luajit_churn ' >&2 || true
  printf '%s\n' "$out" | grep '^debian11_luajit_churn ' || die "no figures (exit $rc)"
  return "$rc"
}

# One run at a time per cache (CI and a developer may share /var/cache/ljmm).
mkdir -p "$CACHE"
exec 8>"$CACHE/.lock"
flock -w 3600 8 || die "another scripts/debian11.sh holds $CACHE/.lock"

case ${1:-} in
root) make_root ;;
test) shift; run_tests "$@" ;;
reach) reach ;;
shell)
  shift
  make_root >/dev/null 2>&1 || make_root
  mount_proc "$ROOTFS"
  if [ $# -eq 0 ]; then set -- bash; fi
  in_root "$@"
  ;;
*) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
