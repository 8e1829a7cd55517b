# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# debroot.sh - what the Debian root stages share (sourced by scripts/debian11.sh and
# scripts/field.sh, not run): making a root with debootstrap from the Debian archive
# this machine's apt uses, chroot into it with /proc mounted, and the host's .deb.
#
# The sourcing script defines log MSG and die MSG (its own tag) and sets SUITE,
# PACKAGES (what apt installs beyond debootstrap), ROOT_VERSION (bump to remake the
# root), ROOTFS (the root in_root enters) and CACHE (where the logs go).
#
#   host_mirror [URL]         the Debian archive: URL if given, else the one in the
#                             host's apt sources, else http://deb.debian.org/debian
#   pick_sources [URL]        sets MIRROR and SOURCES (a sources.list for SUITE, with
#                             -updates and -security when they answer)
#   root_key [EXTRA]          the cache key: ROOT_VERSION, SUITE, PACKAGES, SOURCES, EXTRA
#   cached_root MIRROR INCLUDE FINISH EXE...  ROOTFS as the cache key wants it: kept when
#                             CACHE/root.key matches and every EXE (a path in the root)
#                             exists, else made anew: bootstrap_root, then FINISH NEWDIR
#                             (the caller's last touches and checks), then moved in place
#   bootstrap_root DIR [INCLUDE]  debootstrap --variant=minbase (--include=INCLUDE) into
#                             DIR, then apt-get dist-upgrade and PACKAGES, with
#                             policy-rc.d refusing every service start; leaves the
#                             security suite out when it lists files it does not serve
#   mount_proc DIR            mount /proc in DIR (recorded in MOUNTED)
#   release_mounts            stop processes left in a root of MOUNTED, unmount; status 1
#                             when an unmount failed (for the sourcing script's EXIT trap)
#   remove_tree DIR           rm -rf DIR, never across a mount point
#   in_root CMD...            CMD in ROOTFS (chroot), with a clean environment
#   copy_source DIR           the source tree (no build folders, no .git) copied to DIR,
#                             afresh
#   host_deb WORK             builds the .deb on the host in WORK (cpack), sets DEB

PATH_IN=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# --- mounts ------------------------------------------------------------------
# Only /proc is mounted into a chroot root (nginx's tests find their processes there,
# the shim reads /proc/self/maps, ps/pgrep need it). /dev is the static set of nodes
# debootstrap makes (null, zero, full, random, urandom, tty, ptmx, fd links): enough
# for the build, LuaJIT's PRNG seed (/dev/urandom) and nginx; no /dev bind mount, so
# nothing in the root can touch the host's devices. /sys is not needed.
MOUNTED=()
mount_proc() {
  local r=$1
  # (The caller's lock rules out another run: a mount left by a killed run is ours to
  # remove.)
  if mountpoint -q "$r/proc"; then
    log "$r/proc was left mounted by an earlier run: unmounting it"
    umount "$r/proc" || umount -l "$r/proc"
  fi
  mount -t proc proc "$r/proc"
  MOUNTED+=("$r/proc")
}

# Stop any process still running inside a root of MOUNTED (ours: nothing else runs
# there), then unmount what was mounted. For the EXIT trap, also on failure.
release_mounts() {
  local rc=0 m pid pids
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
  return "$rc"
}

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

in_root() {
  chroot "$ROOTFS" /usr/bin/env -i PATH="$PATH_IN" HOME=/root LC_ALL=C.UTF-8 TMPDIR=/tmp \
    DEBIAN_FRONTEND=noninteractive CI="${CI:-}" "$@"
}

# --- the root ----------------------------------------------------------------

# The Debian archive this machine uses (deb822 URIs: or one-line deb entries), for
# the main suites; the security archive is the same host's debian-security.
host_mirror() {
  local f u
  if [ -n "${1:-}" ]; then
    printf '%s\n' "${1%/}"
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

# Sets MIRROR and SOURCES (the root's sources.list). A suite past its LTS leaves
# deb.debian.org for archive.debian.org; try the mirror first. The updates and
# security suites are added when they answer.
pick_sources() {
  local sec
  MIRROR=$(host_mirror "${1:-}")
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
  printf 'version=%s\nsuite=%s\npackages=%s\nsources=%s\n%s' "$ROOT_VERSION" "$SUITE" "${PACKAGES[*]}" \
    "$SOURCES" "${1:-}" | sha256sum | cut -d' ' -f1
}

# apt-get update, then download the upgrade and the packages (nothing installed yet).
apt_download() {
  { in_root apt-get update && in_root apt-get -y --download-only dist-upgrade &&
    in_root apt-get install -y --download-only "${PACKAGES[@]}"; } >>"$CACHE/apt.log" 2>&1
}

# bootstrap_root DIR [INCLUDE]: DIR made anew; /proc is unmounted again at the end.
bootstrap_root() {
  local new=$1 include=${2:-} old=$ROOTFS
  local args=(--variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
  [ -z "$include" ] || args+=("--include=$include")
  command -v debootstrap >/dev/null || die "debootstrap is not installed (scripts/deps.sh debian11, or field)"
  remove_tree "$new"
  log "debootstrap $SUITE from $MIRROR into $new"
  # minbase: essential packages and apt; the rest is installed with apt below, after
  # policy-rc.d is in place (nginx's postinst would start the service otherwise).
  debootstrap "${args[@]}" "$SUITE" "$new" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -n 30 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
  # No service may start inside the root: invoke-rc.d asks policy-rc.d, 101 = refused.
  printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
  chmod 755 "$new/usr/sbin/policy-rc.d"
  printf '%s' "$SOURCES" >"$new/etc/apt/sources.list"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$new/etc/apt/apt.conf.d/90no-recommends"
  # tests/docs/package_deb.sh serialises package tests with a lock in /run/lock.
  mkdir -p "$new/run/lock"
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
  release_mounts || die "could not unmount $new/proc"
  ROOTFS=$old
}

cached_root() {
  local mirror=$1 include=$2 finish=$3 key new e ok=1 t0=$SECONDS
  shift 3
  pick_sources "$mirror"
  key=$(root_key "${include:+include=$include}")
  for e in "$@"; do [ -x "$ROOTFS$e" ] || ok=0; done
  if [ "$ok" = 1 ] && [ -f "$CACHE/root.key" ] && [ "$(cat "$CACHE/root.key")" = "$key" ]; then
    log "$SUITE root up to date: $ROOTFS (key ${key:0:12})"
    return 0
  fi
  mkdir -p "$CACHE"
  new=$CACHE/root.new
  bootstrap_root "$new" "$include"
  "$finish" "$new"
  remove_tree "$ROOTFS"
  mv "$new" "$ROOTFS"
  printf '%s\n' "$key" >"$CACHE/root.key"
  log "sources used: $(tr '\n' ';' <"$ROOTFS/etc/apt/sources.list")"
  log "$SUITE root made in $((SECONDS - t0)) s: $ROOTFS ($(du -sm --one-file-system "$ROOTFS" | cut -f1) MiB)"
}

copy_source() {
  remove_tree "$1"
  mkdir -p "$1"
  tar -C "$REPO" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$1" -xf -
}

# The Debian package as the host builds it (tests/docs/package_deb.sh does the same).
host_deb() {
  local work=$1 debs
  log "building the .deb on the host in $work"
  {
    cmake -S "$REPO" -B "$work" -DCMAKE_INSTALL_PREFIX=/usr -DLJMM_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
      cmake --build "$work" -j2 && rm -f "$work"/ljmm_*.deb && (cd "$work" && cpack -G DEB)
  } >"$CACHE/deb-build.log" 2>&1 || { tail -n 30 "$CACHE/deb-build.log" >&2; die "building the .deb failed (log: $CACHE/deb-build.log)"; }
  debs=("$work"/ljmm_*.deb)
  [ -f "${debs[0]}" ] || die "cpack made no ljmm_*.deb in $work"
  # shellcheck disable=SC2034 # read by the sourcing script
  DEB=${debs[0]}
}
