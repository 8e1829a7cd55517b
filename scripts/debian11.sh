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
PATH_IN=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf '[debian11] %s\n' "$*" >&2; }
die() { printf '[debian11] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mount)"

# --- mounts ------------------------------------------------------------------
# Only /proc is mounted into the root (nginx's tests find their processes there,
# the shim reads /proc/self/maps, ps/pgrep need it). /dev is the static set of nodes
# debootstrap makes (null, zero, full, random, urandom, tty, ptmx, fd links): enough
# for the build, LuaJIT's PRNG seed (/dev/urandom) and nginx; no /dev bind mount, so
# nothing in the root can touch the host's devices. /sys is not needed.
MOUNTED=()
mount_proc() {
  local r=$1
  # (The lock rules out another run: a mount left by a killed run is ours to remove.)
  if mountpoint -q "$r/proc"; then
    log "$r/proc was left mounted by an earlier run: unmounting it"
    umount "$r/proc" || umount -l "$r/proc"
  fi
  mount -t proc proc "$r/proc"
  MOUNTED+=("$r/proc")
}
# Stop any process still running inside the root (ours: nothing else runs there),
# then unmount what we mounted. Runs from the EXIT trap, also on failure.
cleanup() {
  local rc=$? m pid pids
  set +e
  for m in "${MOUNTED[@]}"; do
    pids=""
    for pid in /proc/[0-9]*; do
      [ "$(readlink "$pid/root" 2>/dev/null)" = "${m%/proc}" ] && pids="$pids ${pid#/proc/}"
    done
    if [ -n "$pids" ]; then
      log "stopping processes left in ${m%/proc}:$pids"
      # shellcheck disable=SC2086 # a list of pids
      kill -TERM $pids 2>/dev/null
      sleep 2
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null
      sleep 0.5
    fi
    umount "$m" || umount -l "$m" || { log "could not unmount $m"; rc=1; }
  done
  MOUNTED=()
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# rm -rf of a root, never across a mount point (a /proc left mounted by a killed run
# is unmounted first).
remove_tree() {
  local d=$1 m
  [ -e "$d" ] || return 0
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m"
  done < <(awk -v d="$d/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r)
  rm -rf --one-file-system "$d"
}

# in_root CMD...: run a command inside the root with a clean environment.
in_root() {
  chroot "$ROOTFS" /usr/bin/env -i PATH="$PATH_IN" HOME=/root LC_ALL=C.UTF-8 TMPDIR=/tmp \
    DEBIAN_FRONTEND=noninteractive CI="${CI:-}" "$@"
}

# --- the root ----------------------------------------------------------------

# The Debian archive this machine uses (deb822 URIs: or one-line deb entries), for
# the main suites; the security archive is the same host's debian-security.
host_mirror() {
  local f u
  if [ -n "${LJMM_DEBIAN11_MIRROR:-}" ]; then
    printf '%s\n' "${LJMM_DEBIAN11_MIRROR%/}"
    return
  fi
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    u=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f")
    [ -n "$u" ] && { printf '%s\n' "${u%/}"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    u=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*\/debian\/?$/) { print $i; exit } }' "$f")
    [ -n "$u" ] && { printf '%s\n' "${u%/}"; return; }
  done
  echo http://deb.debian.org/debian
}

reachable() { wget -q -T 20 -t 2 --spider "$1" 2>/dev/null; }

# Sets MIRROR and SOURCES (the root's sources.list). Bullseye left deb.debian.org
# for archive.debian.org after its LTS ended; try the mirror first. Its updates and
# security suites are added when they answer.
pick_sources() {
  local sec
  MIRROR=$(host_mirror)
  if ! reachable "$MIRROR/dists/$SUITE/Release"; then
    log "$MIRROR has no $SUITE; trying http://archive.debian.org/debian"
    MIRROR=http://archive.debian.org/debian
    reachable "$MIRROR/dists/$SUITE/Release" || die "no Debian archive with $SUITE is reachable"
  fi
  SOURCES="deb $MIRROR $SUITE main"$'\n'
  if reachable "$MIRROR/dists/$SUITE-updates/Release"; then
    SOURCES+="deb $MIRROR $SUITE-updates main"$'\n'
  else
    log "no $SUITE-updates at $MIRROR (left out)"
  fi
  sec=${MIRROR%/debian}/debian-security
  if reachable "$sec/dists/$SUITE-security/Release"; then
    SOURCES+="deb $sec $SUITE-security main"$'\n'
  else
    log "no $SUITE-security at $sec (left out)"
  fi
}

root_key() {
  printf 'version=%s\nsuite=%s\npackages=%s\nsources=%s\n' "$ROOT_VERSION" "$SUITE" "${PACKAGES[*]}" "$SOURCES" |
    sha256sum | cut -d' ' -f1
}

root_ok() {
  [ -f "$CACHE/root.key" ] && [ "$(cat "$CACHE/root.key")" = "$1" ] && [ -x "$ROOTFS/usr/bin/luajit" ] &&
    [ -x "$ROOTFS/usr/sbin/nginx" ]
}

# apt-get update, then download the upgrade and the packages (nothing installed yet).
apt_download() {
  { in_root apt-get update && in_root apt-get -y --download-only dist-upgrade &&
    in_root apt-get install -y --download-only "${PACKAGES[@]}"; } >>"$CACHE/apt.log" 2>&1
}

make_root() {
  local key new t0=$SECONDS
  command -v debootstrap >/dev/null || die "debootstrap is not installed (scripts/deps.sh debian11)"
  pick_sources
  key=$(root_key)
  if root_ok "$key"; then
    log "root up to date: $ROOTFS (key ${key:0:12})"
    return 0
  fi
  mkdir -p "$CACHE"
  new=$CACHE/root.new
  remove_tree "$new"
  log "debootstrap $SUITE from $MIRROR into $new"
  # minbase: essential packages and apt; the rest is installed with apt below, after
  # policy-rc.d is in place (nginx's postinst would start the service otherwise).
  debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    "$SUITE" "$new" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -n 30 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
  # No service may start inside the root: invoke-rc.d asks policy-rc.d, 101 = refused.
  printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
  chmod 755 "$new/usr/sbin/policy-rc.d"
  printf '%s' "$SOURCES" >"$new/etc/apt/sources.list"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$new/etc/apt/apt.conf.d/90ljmm"
  # tests/docs/package_deb.sh serialises package tests with a lock in /run/lock.
  mkdir -p "$new/run/lock"
  local old=$ROOTFS
  ROOTFS=$new
  mount_proc "$new"
  log "apt-get install ${PACKAGES[*]}"
  : >"$CACHE/apt.log"
  # Everything is downloaded before anything is installed, so that a suite whose index
  # answers but whose files do not (seen here: bullseye-security listed luajit and
  # libnginx-mod-http-lua +deb11u* and served 404 for them) can be left out whole
  # instead of mixing its nginx with the main suite's modules.
  if ! apt_download && grep -q -- "-security $SUITE-security" <<<"$SOURCES"; then
    grep '^E: ' "$CACHE/apt.log" | sed -n 1,3p >&2
    log "$SUITE-security does not serve every file it lists: leaving it out"
    SOURCES=$(grep -v -- "-security $SUITE-security" <<<"$SOURCES")$'\n'
    printf '%s' "$SOURCES" >"$new/etc/apt/sources.list"
    in_root apt-get clean
    apt_download || { tail -n 30 "$CACHE/apt.log" >&2; die "apt-get in the root failed (log: $CACHE/apt.log)"; }
  fi
  { in_root apt-get -y dist-upgrade && in_root apt-get install -y "${PACKAGES[@]}" &&
    in_root apt-get clean; } >>"$CACHE/apt.log" 2>&1 ||
    { tail -n 30 "$CACHE/apt.log" >&2; die "apt-get in the root failed (log: $CACHE/apt.log)"; }
  umount "$new/proc"
  MOUNTED=()
  ROOTFS=$old
  [ "$(chroot "$new" /usr/bin/luajit -e 'io.write(tostring(require("ffi").abi("gc64")))')" = false ] ||
    die "bullseye's luajit is GC64: the stage tests nothing"
  remove_tree "$ROOTFS"
  mv "$new" "$ROOTFS"
  printf '%s\n' "$key" >"$CACHE/root.key"
  log "sources used: $(tr '\n' ';' <"$ROOTFS/etc/apt/sources.list")"
  log "root made in $((SECONDS - t0)) s: $ROOTFS ($(du -sm --one-file-system "$ROOTFS" | cut -f1) MiB)"
}

# --- inside the root ------------------------------------------------------------

# The source tree (no build folders, no .git) copied to IN_SRC, afresh.
copy_source() {
  remove_tree "$ROOTFS$IN_SRC"
  mkdir -p "$ROOTFS$IN_SRC"
  tar -C "$REPO" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$ROOTFS$IN_SRC" -xf -
}

# The Debian package as the host builds it (tests/docs/package_deb.sh does the same).
host_deb() {
  local work=$REPO/build-debian11-deb debs
  log "building the .deb on the host in $work"
  {
    cmake -S "$REPO" -B "$work" -DCMAKE_INSTALL_PREFIX=/usr -DLJMM_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
      cmake --build "$work" -j2 && rm -f "$work"/ljmm_*.deb && (cd "$work" && cpack -G DEB)
  } >"$CACHE/deb-build.log" 2>&1 || { tail -n 30 "$CACHE/deb-build.log" >&2; die "building the .deb failed (log: $CACHE/deb-build.log)"; }
  debs=("$work"/ljmm_*.deb)
  [ -f "${debs[0]}" ] || die "cpack made no ljmm_*.deb in $work"
  DEB=${debs[0]}
}

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
# control and the library's symbol checks) and the stage's own workload tests. The
# rest of the host suite (real-client tests with LuaJIT builds from Debian 12's
# sources, stress, fuzz, docs) tests the host's clients, not this userland.
TEST_REGEX='^(unit_|preload_|kernel_alone_|library_|debian11_)'

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
  [ -n "$DEB" ] || host_deb
  [ -f "$DEB" ] || die "no package $DEB"
  copy_source
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
  copy_source
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
