#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The field stage: the operator's path of docs/deploy.md, for real. A Debian 11
# (bullseye) and a Debian 12 (bookworm) root, made by debootstrap from the Debian archive
# this machine's apt uses, with systemd, stock nginx-light and its Lua module, curl,
# logrotate and node_exporter, are each booted with systemd-nspawn, on an overlay of the
# cached root that is thrown away afterwards. Inside (tests/field/checks.sh, through
# nsenter into the container): the host's .deb installed with apt, the drop-in from the
# deploy.md the package installed, nginx restarted with its workers as www-data; on
# bullseye's non-GC64 LuaJIT a worker's Lua heap grown to 1.9 GiB and past the low
# 2 GiB; reload and SIGKILL; the log file's lines; logrotate (create and copytruncate);
# the package's textfile timer and node_exporter; tests/docs/systemd_dropin.sh live;
# the roll-back and apt-get purge, also with the drop-in still in place. On the host:
# promtool check metrics on the .prom file, promtool test rules on the rules the package
# ships with tests/tools/ljmm-rules.test.yml. Bookworm's nginx Lua is GC64 (luajit2):
# where scripts/build-luajit.sh has built the map32only variant of the very same luajit2
# version (non-GC64, MAP_32BIT only, as LuaJIT 2.0: without the library it stops near
# 1 GiB; LJMM_LUAJIT_DIR, as test.sh sets it in CI), it replaces the package's library in
# the overlay and bookworm's heap is grown too; else the heap is not grown there.
#
# Usage (as root):
#   scripts/field.sh root [SUITE...]    make the roots (default: bullseye bookworm), or say
#                                       they are up to date
#   scripts/field.sh test [--deb FILE] [--log FILE] [SUITE...]
#                                       boot each root and run the checks; FILE.deb
#                                       defaults to one built here by cpack; the results
#                                       and a ctest-style closing line also go to --log
#   scripts/field.sh shell SUITE [--deb FILE] [CMD...]
#                                       boot SUITE's root (a throw-away overlay; FILE
#                                       copied to /root/ljmm-field/) and run CMD inside
#                                       (default: bash), then power it off
#
# Each root is cached in LJMM_FIELD_DIR/field-SUITE (default: build-field/ in the checkout;
# scripts/test.sh uses /var/cache/ljmm in CI), keyed like scripts/debian11.sh's (package
# list, suites and mirror, ROOT_VERSION). One run at a time per root (flock).
# Environment: LJMM_FIELD_DIR, LJMM_FIELD_MIRROR (the Debian archive; default: the host's),
# LJMM_FIELD_BOOT_TIMEOUT (seconds until the system must be running; default 120),
# LJMM_LUAJIT_DIR (scripts/build-luajit.sh's builds; default build-luajit/).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
FIELD_DIR=${LJMM_FIELD_DIR:-$REPO/build-field}
BOOT_TIMEOUT=${LJMM_FIELD_BOOT_TIMEOUT:-120}
# Bump when the way the roots are made changes (the cache key includes it). 2: apt's
# setting file is no longer named after the package (the purge check looks for such names).
ROOT_VERSION=2
# debootstrap's minbase plus an init system to boot, and what the checks use: the stock
# nginx and Lua module, curl, logrotate (Debian's /etc/logrotate.d/nginx comes with
# nginx-common), procps (ps, pgrep), node_exporter (its textfile collector reads what
# ljmm-textfile.service writes).
INCLUDE=systemd,systemd-sysv,dbus
PACKAGES=(nginx-light libnginx-mod-http-lua curl logrotate procps prometheus-node-exporter)
SUITES=(bullseye bookworm)
# Inside the booted root.
IN_SRC=/root/ljmm-src
IN_DIR=/root/ljmm-field
CHECKS=$IN_SRC/tests/field/checks.sh
IN_PROM=/var/lib/prometheus/node-exporter/ljmm.prom
IN_RULES=/usr/share/ljmm/prometheus/ljmm-rules.yml
IN_DOC=/usr/share/doc/ljmm/deploy.md
IN_LIB=/usr/lib/x86_64-linux-gnu/libljmm_preload.so

log() { printf '[field] %s\n' "$*" >&2; }
die() { printf '[field] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, mount, systemd-nspawn)"

# shellcheck source-path=SCRIPTDIR source=debroot.sh
. "$SCRIPT_DIR/debroot.sh"

# suite SUITE: the globals debroot.sh and the rest use, for that root.
suite() {
  SUITE=$1
  CACHE=$FIELD_DIR/field-$SUITE
  ROOTFS=$CACHE/root
  BOOT=$CACHE/boot
  MACHINE=ljmm-field-$SUITE
  case $SUITE in
  bullseye) NAME="Debian 11" ;;
  bookworm) NAME="Debian 12" ;;
  *) die "unknown suite '$SUITE' (bullseye, bookworm)" ;;
  esac
}

# One run at a time per root (CI and a developer may share /var/cache/ljmm). The
# descriptors are kept from the container and from what runs in it (LOCK_FDS,
# without_locks): a container outliving a killed run must not hold the lock, or the next
# run could not get to stopping it.
LOCK_FDS=()
without_locks() {
  (
    for fd in "${LOCK_FDS[@]}"; do eval "exec $fd>&-"; done
    exec "$@"
  )
}
lock() {
  local fd
  mkdir -p "$CACHE"
  exec {fd}>"$CACHE/.lock"
  flock -w 3600 "$fd" || die "another scripts/field.sh holds $CACHE/.lock"
  LOCK_FDS+=("$fd")
}

# --- the roots -------------------------------------------------------------------

# The root is booted, not entered with chroot: its services start as on an operator's
# machine (nginx at boot, apt's maintainer scripts under systemd).
finish_root() {
  rm -f "$1/usr/sbin/policy-rc.d"
}

make_root() {
  command -v systemd-nspawn >/dev/null || die "systemd-nspawn is not installed (scripts/deps.sh field)"
  cached_root "${LJMM_FIELD_MIRROR:-}" "$INCLUDE" finish_root /usr/sbin/nginx /lib/systemd/systemd
}

# --- booting ---------------------------------------------------------------------
# The container runs on an overlay whose lower layer is the cached root: what the checks
# change (the package, the drop-in, logs) lands in BOOT/upper, removed with it, and the
# cache stays as debootstrap left it. Measured here: the mount takes no time, a copy of
# the bullseye root 2.5 s and its removal 3.4 s; --ephemeral copies too on ext4. A copy
# is the fallback where overlayfs cannot be mounted.
NSPAWN="" PID1="" MERGED="" OVERLAID=0

# A container left by an earlier run of this script that was killed (its nspawn's PID in
# BOOT/nspawn.pid, the machine name on its command line): ours, so it is stopped.
stop_stale() {
  local pid
  [ -s "$BOOT/nspawn.pid" ] || return 0
  pid=$(cat "$BOOT/nspawn.pid")
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -F -- "--machine=$MACHINE " >/dev/null; then
    log "stopping the $MACHINE container an earlier run left (nspawn $pid)"
    NSPAWN=$pid
    PID1=$(container_init "$pid" || true)
    MERGED=$BOOT/merged
    OVERLAID=$(mountpoint -q "$MERGED" && echo 1 || echo 0)
    stop_root
  fi
}

# The container's init: the child of nspawn that is PID 1 in its own PID namespace.
container_init() {
  local c ns
  for c in $(pgrep -P "$1" || true); do
    ns=$(awk '$1 == "NSpid:" { print $NF }' "/proc/$c/status" 2>/dev/null || true)
    if [ "$ns" = 1 ]; then
      printf '%s\n' "$c"
      return 0
    fi
  done
  return 1
}

# inside CMD...: CMD in every namespace of the container (mount, PID, network, ...), as
# its root, with a clean environment.
# With INSIDE_TIMEOUT set (the checks), CMD is stopped after that many seconds, and runs
# in the background while this script waits: a TERM or INT then stops the stage at once
# (bash runs a trap only between foreground commands), and the poweroff ends CMD.
INSIDE_TIMEOUT=""
inside() {
  local cmd=(nsenter -t "$PID1" -a env -i PATH="$PATH_IN" HOME=/root LC_ALL=C.UTF-8 TERM=dumb "$@")
  if [ -z "$INSIDE_TIMEOUT" ]; then
    without_locks "${cmd[@]}"
    return
  fi
  without_locks timeout -k 10 "$INSIDE_TIMEOUT" "${cmd[@]}" &
  wait "$!"
}

# A boot that went wrong: the console's last lines and the reason; boot_root returns 1
# (the stage goes on with the next root).
boot_failed() {
  tail -n 20 "$CACHE/boot.log"
  echo "FAIL: $1 (console: $CACHE/boot.log)"
}

boot_root() {
  local t0=$SECONDS st i
  stop_stale
  remove_tree "$BOOT"
  mkdir -p "$BOOT/upper" "$BOOT/work" "$BOOT/merged" || return 1
  MERGED=$BOOT/merged
  if mount -t overlay "$MACHINE" -o "lowerdir=$ROOTFS,upperdir=$BOOT/upper,workdir=$BOOT/work" "$MERGED" 2>"$BOOT/mount.err"; then
    OVERLAID=1
  else
    log "overlayfs: $(cat "$BOOT/mount.err"); booting a copy of the root instead"
    rmdir "$MERGED"
    cp -a --reflink=auto "$ROOTFS" "$MERGED" || return 1
  fi
  copy_source "$MERGED$IN_SRC" || return 1
  mkdir -p "$MERGED$IN_DIR"
  if [ -n "${DEB:-}" ]; then
    cp "$DEB" "$MERGED$IN_DIR/" || return 1
    IN_DEB=$IN_DIR/${DEB##*/}
  fi
  if [ -n "${LUAJIT_SWAP:-}" ]; then
    cp "$LUAJIT_SWAP" "$MERGED$(luajit2_file)" || return 1
  fi
  # --register=no --keep-unit: no machined, and no scope asked of the host's systemd
  # (without --keep-unit nspawn wants the system bus even with --register=no: "Failed
  # to open system bus" where PID 1 is not systemd); the container stays in this
  # script's cgroup. --private-network: a loopback of its own, nginx's port 80 too.
  # --console=pipe: no terminal needed; the console goes to boot.log.
  # (The background subshell itself closes the locks and becomes nspawn: $! is nspawn.)
  (
    for fd in "${LOCK_FDS[@]}"; do eval "exec $fd>&-"; done
    exec systemd-nspawn --quiet -D "$MERGED" --machine="$MACHINE" --boot --register=no --keep-unit \
      --private-network --console=pipe
  ) </dev/null >"$CACHE/boot.log" 2>&1 &
  NSPAWN=$!
  printf '%s\n' "$NSPAWN" >"$BOOT/nspawn.pid"
  for i in $(seq 1 200); do
    PID1=$(container_init "$NSPAWN") && break
    kill -0 "$NSPAWN" 2>/dev/null || { boot_failed "systemd-nspawn exited"; return 1; }
    [ "$i" -lt 200 ] || { boot_failed "systemd-nspawn $NSPAWN started no init in 20 s"; return 1; }
    sleep 0.1
  done
  while :; do
    st=$(inside systemctl is-system-running 2>/dev/null || true)
    case $st in
    running | degraded) break ;;
    esac
    kill -0 "$NSPAWN" 2>/dev/null || { boot_failed "the $SUITE container stopped while booting"; return 1; }
    if [ $((SECONDS - t0)) -ge "$BOOT_TIMEOUT" ]; then
      inside systemctl list-jobs --no-pager 2>&1 | sed -n 1,15p >&2 || true
      boot_failed "the $SUITE root is not up after $BOOT_TIMEOUT s: systemctl is-system-running says '${st:-nothing}'"
      return 1
    fi
    sleep 0.5
  done
  BOOT_STATE=$st
  if [ "$st" = degraded ]; then
    log "$SUITE booted degraded; failed units: $(inside systemctl --failed --no-legend --plain 2>&1 | awk '{ print $1 }' | tr '\n' ' ')"
  fi
  # logrotate.timer would rotate the logs at midnight in the middle of a run.
  inside systemctl stop logrotate.timer 2>/dev/null || true
  BOOT_SECONDS=$((SECONDS - t0))
}

# Bookworm's libluajit2-5.1-2 (the library its Lua module links): the file in the root,
# and the project's map32only build of the same version, if there is one. (Not the
# nogc64 variant: its hint probing took it to 1946 MiB of heap without the library here,
# so growing it would prove nothing.)
luajit2_file() {
  local l=/usr/lib/x86_64-linux-gnu/libluajit-5.1.so.2
  printf '%s/%s\n' "${l%/*}" "$(readlink "$ROOTFS$l" || printf '%s' "${l##*/}")"
}
map32only_build() {
  local ver lib
  # shellcheck disable=SC2016 # a dpkg-query format
  ver=$(dpkg-query --admindir="$ROOTFS/var/lib/dpkg" -W -f='${Version}' libluajit2-5.1-2 2>/dev/null) || return 1
  lib=${LJMM_LUAJIT_DIR:-$REPO/build-luajit}/luajit2-$ver/map32only/lib/libluajit-5.1.so.2.1.0
  [ -f "$lib" ] || return 1
  printf '%s\n' "$lib"
}

# Power the container off (systemctl poweroff inside), wait for nspawn; if it hangs,
# kill its init (which ends the container's PID namespace) and nspawn, nothing else.
# Then unmount and remove the overlay. From the EXIT trap too.
stop_root() {
  local rc=0 i
  if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
    [ -z "$PID1" ] || timeout 20 nsenter -t "$PID1" -a systemctl poweroff >/dev/null 2>&1 || true
    for i in $(seq 1 600); do
      kill -0 "$NSPAWN" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$NSPAWN" 2>/dev/null; then
      log "the $MACHINE container did not power off in 60 s: killing its init ($PID1) and nspawn ($NSPAWN)"
      if [ -n "$PID1" ] && [ "$(awk '$1 == "PPid:" { print $2 }' "/proc/$PID1/status" 2>/dev/null)" = "$NSPAWN" ]; then
        kill -KILL "$PID1" 2>/dev/null || true
        sleep 1
      fi
      kill -TERM "$NSPAWN" 2>/dev/null || true
      sleep 3
      kill -KILL "$NSPAWN" 2>/dev/null || true
      rc=1
    fi
  fi
  if [ -n "$NSPAWN" ]; then wait "$NSPAWN" 2>/dev/null || true; fi
  NSPAWN="" PID1=""
  if [ -n "$MERGED" ]; then
    if [ "$OVERLAID" = 1 ]; then
      for i in $(seq 1 20); do
        mountpoint -q "$MERGED" || break
        umount "$MERGED" 2>/dev/null && break
        sleep 0.5
      done
      if mountpoint -q "$MERGED"; then
        log "could not unmount $MERGED: detaching it"
        umount -l "$MERGED" || rc=1
      fi
    fi
    remove_tree "$BOOT"
    MERGED="" OVERLAID=0
  fi
  # nspawn removes its propagation directory only from a tmpfs; /run is not one on
  # every host ("Attempted to remove disk file system ..., and we can't allow that").
  if [ -d "/run/systemd/nspawn/propagate/$MACHINE" ]; then rm -rf "/run/systemd/nspawn/propagate/$MACHINE"; fi
  return "$rc"
}

cleanup() {
  local rc=$?
  set +e
  stop_root || rc=1
  release_mounts || rc=1
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- checks ----------------------------------------------------------------------
LOG=""
RESULTS=() FIGURES=() SKIPPED=()
PASSED=0 FAILED=0

say() {
  printf '%s\n' "$*"
  if [ -n "$LOG" ]; then printf '%s\n' "$*" >>"$LOG"; fi
}

# run_check NAME CMD...: one check, its output shown indented, its verdict counted
# (exit 0 pass, 77 skip, else fail); its FIGURE lines kept for the summary.
run_check() {
  local name=field_${SUITE}_$1 out t0=$SECONDS rc=0 verdict
  shift
  out=$CACHE/check-$name.log
  "$@" >"$out" 2>&1 || rc=$?
  case $rc in
  0) verdict=PASS PASSED=$((PASSED + 1)) ;;
  77) verdict=SKIP PASSED=$((PASSED + 1)) SKIPPED+=("$name") ;;
  *) verdict=FAIL FAILED=$((FAILED + 1)) ;;
  esac
  while IFS= read -r line; do
    say "    $line"
  done < <(grep -v '^FIGURE ' "$out" || true)
  while IFS= read -r line; do
    FIGURES+=("$SUITE ${line#FIGURE }")
  done < <(grep '^FIGURE ' "$out" || true)
  RESULTS+=("$verdict $name ($((SECONDS - t0)) s)")
  VERDICT=$verdict
  say "$verdict $name ($((SECONDS - t0)) s)"
  return "$rc"
}

# not_run NAME... REASON: checks that could not run, counted as failed.
not_run() {
  local reason=${*: -1} n
  for n in "${@:1:$#-1}"; do
    FAILED=$((FAILED + 1))
    RESULTS+=("FAIL field_${SUITE}_$n (not run: $reason)")
    say "FAIL field_${SUITE}_$n (not run: $reason)"
  done
}

figure() { FIGURES+=("$SUITE $1=$2"); }

# The .prom file the textfile service wrote, checked by the host's promtool.
check_metrics() {
  local f=$CACHE/ljmm.prom out rc=0
  need_promtool || return 1
  if ! inside test -s "$IN_PROM"; then
    if [ "$TEXTFILE" = SKIP ]; then echo "SKIP: no $IN_PROM (the textfile check was skipped)"; return 77; fi
    echo "FAIL: no $IN_PROM in the root"
    return 1
  fi
  inside cat "$IN_PROM" >"$f" || { echo "FAIL: cannot read $IN_PROM in the root"; return 1; }
  out=$(promtool check metrics <"$f" 2>&1) || rc=$?
  echo "promtool check metrics <$IN_PROM: exit $rc${out:+: $out}"
  echo "FIGURE promtool_check_metrics=exit $rc${out:+, $out}"
  [ "$rc" = 0 ] || { echo "FAIL: promtool check metrics rejects the file"; sed -n 1,20p "$f"; return 1; }
  echo "ok   promtool check metrics: no problem in $(grep -c . "$f") lines"
}

# The rules file the package installed, with the source tree's fixture.
check_rules() {
  local fixture=$REPO/tests/tools/ljmm-rules.test.yml tmp=$CACHE/rules out rc=0
  need_promtool || return 1
  [ -f "$fixture" ] || { echo "SKIP: no fixture $fixture in the source tree"; return 77; }
  inside test -f "$IN_RULES" || { echo "SKIP: the package ships no $IN_RULES"; return 77; }
  rm -rf "$tmp"
  mkdir -p "$tmp"
  inside cat "$IN_RULES" >"$tmp/ljmm-rules.yml"
  # The fixture names the rules by their path in the source tree: point it at the
  # installed copy instead.
  sed "s|^\([[:space:]]*-[[:space:]]*\)[^[:space:]]*ljmm-rules\.yml[[:space:]]*\$|\1$tmp/ljmm-rules.yml|" \
    "$fixture" >"$tmp/test.yml"
  grep -F "$tmp/ljmm-rules.yml" "$tmp/test.yml" >/dev/null || { echo "FAIL: $fixture names no ljmm-rules.yml under rule_files"; return 1; }
  out=$(cd "$tmp" && promtool test rules test.yml 2>&1) || rc=$?
  printf '%s\n' "$out"
  echo "FIGURE promtool_test_rules=exit $rc: $(printf '%s\n' "$out" | grep -v '^ *$' | tr '\n' ' ' | sed 's/  */ /g')"
  [ "$rc" = 0 ] || { echo "FAIL: promtool test rules $IN_RULES with $fixture"; return 1; }
}

need_promtool() {
  command -v promtool >/dev/null || { echo "FAIL: promtool is not installed (scripts/deps.sh field)"; return 1; }
}

# check_args NAME: the command of a check (tests/field/checks.sh inside, or promtool on
# the host). Non-GC64 workers (bullseye's; bookworm's with the map32only build) have their
# heap grown: 1946 MiB (1.9 GiB); 1700 MiB after the reload, beyond what either LuaJIT
# reaches alone (bullseye's stock ~1.5 GiB, map32only ~1 GiB); 1900 MiB after the
# rotation, past the 90 % warning.
check_args() {
  case $1 in
  install) CMD=(inside bash "$CHECKS" install "$IN_DEB") ;;
  heap) CMD=(inside bash "$CHECKS" heap 1946) ;;
  reload) CMD=(inside bash "$CHECKS" reload) ;;
  rotate) CMD=(inside bash "$CHECKS" rotate) ;;
  textfile | log | copytruncate | purge) CMD=(inside bash "$CHECKS" "$1") ;;
  promtool_metrics) CMD=(check_metrics) ;;
  promtool_rules) CMD=(check_rules) ;;
  docs_systemd_dropin) CMD=(inside bash "$IN_SRC/tests/docs/systemd_dropin.sh" live "$IN_DOC" "$IN_LIB") ;;
  purge_dropin) CMD=(inside bash "$CHECKS" purge-dropin "$IN_DEB") ;;
  esac
  if [ "$NONGC64" = 1 ]; then
    case $1 in
    reload) CMD+=(1700) ;;
    rotate) CMD+=(1900) ;;
    esac
  fi
}

# The checks of one root, in order: once the install failed, the rest cannot run.
test_suite() {
  local t0=$SECONDS names n
  suite "$1"
  lock
  make_root
  # Bookworm's nginx Lua is GC64: no MAP_32BIT heap to grow, unless the project's
  # map32only build of its luajit2 takes the package's place.
  NONGC64=0 LUAJIT_SWAP=""
  if [ "$SUITE" = bullseye ]; then
    NONGC64=1
  elif LUAJIT_SWAP=$(map32only_build); then
    NONGC64=1
    say "note: the package's $(luajit2_file) replaced, in the overlay, by the project's non-GC64 MAP_32BIT-only build $LUAJIT_SWAP"
    figure luajit_library "map32only build of luajit2 $(basename "$(dirname "$(dirname "$(dirname "$LUAJIT_SWAP")")")") (scripts/build-luajit.sh) in place of the package's"
  else
    say "note: no map32only build of bookworm's luajit2 in ${LJMM_LUAJIT_DIR:-$REPO/build-luajit} (scripts/build-luajit.sh): the workers stay GC64, their heap is not grown"
  fi
  names=(install)
  if [ "$NONGC64" = 1 ]; then names+=(heap); fi
  names+=(reload log rotate copytruncate textfile promtool_metrics promtool_rules docs_systemd_dropin
    purge purge_dropin)
  say "=== field stage: $NAME ($SUITE), the package $(basename "$DEB")"
  if ! run_check boot boot_check; then
    not_run "${names[@]}" "the root did not boot"
    stop_root || true
    return 0
  fi
  TEXTFILE=""
  INSIDE_TIMEOUT=900
  for n in "${names[@]}"; do
    check_args "$n"
    run_check "$n" "${CMD[@]}" || true
    if [ "$n" = textfile ]; then TEXTFILE=$VERDICT; fi
    if [ "$n" = install ] && [ "$VERDICT" = FAIL ]; then
      not_run "${names[@]:1}" "the install failed"
      break
    fi
  done
  INSIDE_TIMEOUT=""
  stop_root || { FAILED=$((FAILED + 1)); say "FAIL field_${SUITE}_poweroff"; }
  figure stage_seconds "$((SECONDS - t0))"
}

boot_check() {
  boot_root || return 1
  echo "ok   booted with systemd-nspawn in $BOOT_SECONDS s: $BOOT_STATE ($(inside systemctl --version | sed -n 1p))"
  [ "$OVERLAID" = 1 ] && echo "ok   on an overlay of $ROOTFS" || echo "note on a copy of $ROOTFS (no overlayfs)"
  echo "FIGURE boot_seconds=$BOOT_SECONDS"
  echo "FIGURE systemd=$(inside systemctl --version | sed -n 1p)"
}

summary() {
  local s f
  say ""
  say "Field stage summary ($(( SECONDS - STAGE_T0 )) s):"
  for s in "${RUN_SUITES[@]}"; do
    say "  $s:"
    for f in "${FIGURES[@]}"; do
      if [ "${f%% *}" = "$s" ]; then say "    ${f#* }"; fi
    done
  done
  say ""
  # The closing line in ctest's words, for scripts/test.sh's count (skipped checks
  # count as passed there, as ctest counts them).
  local total=$((PASSED + FAILED))
  say "$(( total ? PASSED * 100 / total : 0 ))% tests passed, $FAILED tests failed out of $total"
  if [ "${#SKIPPED[@]}" -gt 0 ]; then
    say ""
    say "The following tests did not run:"
    for s in "${SKIPPED[@]}"; do say "	  - $s (Skipped)"; done
  fi
  say ""
}

run_tests() {
  local s
  DEB="" RUN_SUITES=()
  while [ $# -gt 0 ]; do
    case $1 in
    --deb) DEB=${2:?--deb FILE}; shift 2 ;;
    --log) LOG=${2:?--log FILE}; shift 2 ;;
    -*) die "test: unknown option $1" ;;
    *) suite "$1"; RUN_SUITES+=("$1"); shift ;;
    esac
  done
  [ "${#RUN_SUITES[@]}" -gt 0 ] || RUN_SUITES=("${SUITES[@]}")
  command -v systemd-nspawn >/dev/null || die "systemd-nspawn is not installed (scripts/deps.sh field)"
  command -v nsenter >/dev/null || die "nsenter is not installed (util-linux)"
  STAGE_T0=$SECONDS
  if [ -n "$LOG" ]; then : >"$LOG"; fi
  if [ -z "$DEB" ]; then
    CACHE=$FIELD_DIR
    mkdir -p "$CACHE"
    host_deb "$REPO/build-field-deb"
  fi
  [ -f "$DEB" ] || die "no package $DEB"
  DEB=$(readlink -f "$DEB")
  for s in "${RUN_SUITES[@]}"; do
    test_suite "$s"
  done
  summary
  log "field stage: $((SECONDS - STAGE_T0)) s, $FAILED failed"
  [ "$FAILED" = 0 ]
}

case ${1:-} in
root)
  shift
  [ $# -gt 0 ] || set -- "${SUITES[@]}"
  for s in "$@"; do
    suite "$s"
    lock
    make_root
  done
  ;;
test) shift; run_tests "$@" ;;
shell)
  shift
  suite "${1:?shell SUITE [--deb FILE] [CMD...]}"
  shift
  DEB=""
  if [ "${1:-}" = --deb ]; then
    DEB=$(readlink -f "${2:?--deb FILE}")
    shift 2
  fi
  lock
  make_root
  boot_root || die "the $SUITE root did not boot"
  log "$SUITE booted ($BOOT_STATE); running ${*:-bash} inside"
  if [ $# -eq 0 ]; then set -- bash; fi
  inside "$@"
  ;;
*) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
