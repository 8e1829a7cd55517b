#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install the Debian packages the build and the tests need (root, non-interactive).
# Nothing is installed when everything is already there, so repeated runs are quick.
# Usage: scripts/deps.sh [GROUP...]   groups: build (default), clients, nginx, fuzz, musl, bench, debian11, field
#   build    compiler, CMake, Check: the shim and its unit and preload tests
#   clients  the real programs the tests run under the shim: nginx with the Lua
#            module, curl, OpenSSL headers and the CA bundle (LuaJIT itself is built
#            from Debian's sources by scripts/build-luajit.sh, which installs its own),
#            valgrind, the Debian and RPM packaging and man-page tools, shellcheck,
#            jq (the ljmm-maps tests parse its JSON with it), jemalloc (a malloc
#            preload the shim is tested beside), logrotate (the log file through
#            rotations), and prometheus for its promtool (check metrics on ljmm-maps
#            --prometheus, check and test rules on the shipped rules)
#   nginx    what scripts/build-nginx-link.sh builds nginx with: dpkg-source (dpkg-dev),
#            PCRE1 headers (lua-nginx-module 0.10.23 predates PCRE2), and Debian's
#            lua-resty-core and lua-resty-lrucache, which the Lua module loads at start-up
#   fuzz     clang and its libFuzzer runtime, for scripts/fuzz.sh
#   musl     musl-gcc and musl's loader (musl-tools), for the musl build of the library,
#            its tests and a musl LuaJIT (docs/portability.md)
#   bench    gnuplot (the benchmark chart, bench/report.sh), wrk (nginx load, scripts/bench.sh) and
#            tarantool (Debian's 2.6, a non-GC64 LuaJIT host: section 9's fragmentation runs)
#   debian11 debootstrap (and wget), for the Debian 11 root of scripts/debian11.sh;
#            what the root holds comes from bullseye itself
#   field    debootstrap, wget, systemd-nspawn (systemd-container) and promtool
#            (prometheus), for the booted Debian 11 and 12 roots of scripts/field.sh;
#            what the roots hold comes from bullseye and bookworm themselves
set -euo pipefail
groups=("${@:-build}")
packages=()
for g in "${groups[@]}"; do
  case $g in
    build) packages+=(build-essential cmake pkg-config check) ;;
    clients) packages+=(nginx libnginx-mod-http-lua curl libssl-dev ca-certificates procps valgrind
             dpkg-dev lintian rpm man-db groff-base libxml2-utils shellcheck jq libjemalloc2 logrotate prometheus) ;;
    nginx) packages+=(build-essential dpkg-dev libpcre3-dev lua-resty-core lua-resty-lrucache curl) ;;
    fuzz) packages+=(clang libclang-rt-14-dev) ;;
    musl) packages+=(musl-tools) ;;
    bench) packages+=(gnuplot-nox wrk tarantool) ;;
    debian11) packages+=(debootstrap wget) ;;
    field) packages+=(debootstrap wget systemd-container prometheus) ;;
    *) echo "scripts/deps.sh: unknown group '$g' (build, clients, nginx, fuzz, musl, bench, debian11, field)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
done
((${#missing[@]})) || exit 0
if [ "$(id -u)" != 0 ]; then
  echo "scripts/deps.sh: missing packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Installing nginx would start the system's nginx on port 80: the tests run their own,
# so keep package scripts from starting services while we install.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  added_policy=1
fi
trap 'if [ "$added_policy" = 1 ]; then rm -f "$policy"; fi' EXIT
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
