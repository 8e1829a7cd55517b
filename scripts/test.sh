#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build everything and run every test: the unit suites, the preload tests and the
# real-client tests (LuaJIT builds, nginx, nginx built with the shim linked in
# (scripts/build-nginx-link.sh), OpenSSL, operator tools) in a normal build;
# then the unit suites, the fuzz replays and the stress and fork programs (with the shim
# linked in) again with AddressSanitizer and UBSan; the branch coverage of shim/ by the
# unit suites (scripts/coverage.sh: reported, never a gate); then a musl build (musl-gcc)
# with its preload, stress, guard and LuaJIT tests; then the Debian 11 stage (the build,
# unit and preload tests and bullseye's stock luajit, nginx and OpenSSL in a debootstrap
# root: scripts/debian11.sh); then the field stage (the package installed with apt in booted
# Debian 11 and 12 roots, nginx under systemd with the drop-in of docs/deploy.md, workers as
# www-data, logrotate, the textfile collector, the purge: scripts/field.sh); then a short coverage-guided
# libFuzzer run of each fuzz target (clang; LJMM_FUZZ_SECONDS each, default 20); last
# the demo (scripts/demo.sh).
# Usage: scripts/test.sh            (as root on Debian 12; installs what it needs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
# bench: gnuplot, so that ctest's bench_smoke draws (and checks) the benchmark chart.
bash "$root/scripts/deps.sh" build clients bench
# Debian's luajit and luajit2 sources, three variants each, cached by source version;
# in CI the cache lives outside the fresh clone so that later runs reuse it.
if [ "${CI:-}" = true ] && [ -z "${LJMM_LUAJIT_DIR:-}" ]; then
  export LJMM_LUAJIT_DIR=/var/cache/ljmm/luajit
fi
bash "$root/scripts/build-luajit.sh" >/dev/null
# musl-gcc and Debian's luajit built with it, before the first ctest: the glibc build's
# link_c_musl_static and link_luajit_musl_static link with them (and would skip without),
# as does the musl build below.
bash "$root/scripts/deps.sh" musl
LJMM_LUAJIT_VARIANTS=map32only-musl bash "$root/scripts/build-luajit.sh" luajit >/dev/null

# ctest in build folder $1 with the rest as arguments, its output kept for the summary.
# A failing test does not stop the run: every stage runs, the closing line counts the
# failures, and the exit status is 1 when there were any.
summary=$(mktemp)
coverage=$(mktemp)
trap 'rm -f "$summary" "$coverage"' EXIT
other_failures=()
run_ctest() {
  local dir=$1
  shift
  (cd "$dir" && ctest --output-on-failure -j"$jobs" "$@") | tee "$dir/ctest-output.log" || true
  ctest_summary "$dir/ctest-output.log"
}
# ctest_summary LOG: a ctest output's closing counts, into the summary.
ctest_summary() {
  grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" >>"$summary"
  echo "skipped $(sed -n '/^The following tests did not run:/,/^$/p' "$1" | grep -c ' - ' || true)" >>"$summary"
}

# run_stage SCRIPT LOG: scripts/SCRIPT test --log LOG, with the .deb the package test
# built (the stage builds one otherwise); its closing ctest line counted in the summary.
run_stage() {
  local script=$1 log=$2 rc=0 args=(--log "$2") debs=("$root"/build/tests/docs/package-build/ljmm_*.deb)
  [ ! -f "${debs[0]}" ] || args+=(--deb "${debs[0]}")
  rm -f "$log"
  bash "$root/scripts/$script" test "${args[@]}" || rc=$?
  if [ -s "$log" ] && grep -E '^[0-9]+% tests passed' "$log" >/dev/null; then
    ctest_summary "$log"
  else
    echo "0% tests passed, 1 tests failed out of 1" >>"$summary" # the stage failed before its tests
  fi
  [ "$rc" = 0 ] || other_failures+=("scripts/$script test (exit $rc)")
}

cmake -S "$root" -B "$root/build" -DLJMM_BUILD_TESTS=ON
cmake --build "$root/build" -j"$jobs"
# nginx from Debian's sources with the Lua module compiled in, for ctest nginx_link: its
# objects cached like the LuaJIT builds (configure's feature tests link with the link form,
# hence after the build); the test links them with this build's ljmm.o on every run.
bash "$root/scripts/deps.sh" nginx
if [ "${CI:-}" = true ] && [ -z "${LJMM_NGINX_LINK_DIR:-}" ]; then
  export LJMM_NGINX_LINK_DIR=/var/cache/ljmm/nginx
fi
bash "$root/scripts/build-nginx-link.sh" build "$root/build" || other_failures+=("scripts/build-nginx-link.sh build")
# docs_systemd_dropin needs systemd as PID 1, which this machine's is not: the field stage
# below runs it inside a booted root, where it counts.
run_ctest "$root/build" -E '^docs_systemd_dropin$'

cmake -S "$root" -B "$root/build-sanitize" -DLJMM_BUILD_TESTS=ON -DLJMM_ASAN=ON -DLJMM_UBSAN=ON
cmake --build "$root/build-sanitize" -j"$jobs"
run_ctest "$root/build-sanitize" -R '^(unit_|fuzz_|sanitized_)'

# Branch coverage of shim/ by the unit suites, in a build of its own (gcc --coverage).
# Reported here and in the closing lines; a low figure or a failure to measure fails
# nothing.
bash "$root/scripts/coverage.sh" "$root/build-coverage" >"$coverage" 2>&1 || true
cat "$coverage"

# musl, as in Alpine-based containers: the library, the tools and every test that needs
# no Check built with musl-gcc, preloaded into musl programs through musl's loader, and
# Debian's luajit built with musl-gcc (cached with the other LuaJIT builds) filled past
# 2000 MiB (docs/portability.md says what stays glibc-only). gcc-ar and gcc-ranlib: CMake
# finds no musl-gcc-ar, and without them the library would lose link-time optimisation.
# The stress programs run 10 s instead of 30 (the glibc run above has the long ones).
# (musl-gcc and the musl LuaJIT build were installed at the start.)
CC=musl-gcc cmake -S "$root" -B "$root/build-musl" -DLJMM_BUILD_TESTS=ON \
  -DCMAKE_C_COMPILER_AR="$(command -v gcc-ar)" -DCMAKE_C_COMPILER_RANLIB="$(command -v gcc-ranlib)"
cmake --build "$root/build-musl" -j"$jobs"
LJMM_STRESS_SECONDS=10 run_ctest "$root/build-musl"

# Debian 11 (bullseye): the build, the unit and preload tests, and bullseye's stock
# luajit, nginx + Lua, glibc 2.31 and OpenSSL 1.1.1 under the shim, in a debootstrap root
# (scripts/debian11.sh; the root is cached, in CI under /var/cache/ljmm). It installs the
# .deb the package test above built, or builds one.
bash "$root/scripts/deps.sh" debian11
if [ "${CI:-}" = true ] && [ -z "${LJMM_DEBIAN11_DIR:-}" ]; then
  export LJMM_DEBIAN11_DIR=/var/cache/ljmm/debian11
fi
run_stage debian11.sh "$root/build/debian11-ctest-output.log"

# The field stage: Debian 11 and 12 roots (cached like the Debian 11 one) booted with
# systemd-nspawn, the same .deb installed with apt and used as docs/deploy.md says; its
# checks are counted like ctest's (scripts/field.sh writes a ctest-style closing line).
bash "$root/scripts/deps.sh" field
if [ "${CI:-}" = true ] && [ -z "${LJMM_FIELD_DIR:-}" ]; then
  export LJMM_FIELD_DIR=/var/cache/ljmm
fi
run_stage field.sh "$root/build/field-output.log"

# A crash, leak or timeout found here is saved under tests/fuzz/corpus/ and fails the
# run; longer runs: scripts/fuzz.sh SECONDS.
bash "$root/scripts/deps.sh" fuzz
bash "$root/scripts/fuzz.sh" "${LJMM_FUZZ_SECONDS:-20}" || other_failures+=("scripts/fuzz.sh")

# Last, the README's demo command, so that it cannot rot unnoticed (it reuses the
# LuaJIT build above; about 50 s). Its output, as a terminal shows it, must keep the
# library's warning lines out of the tables (tests/docs/demo_table.sh).
demo_log=$root/build/demo-output.log
if bash "$root/scripts/demo.sh" 2>&1 | tee "$demo_log"; then
  sh "$root/tests/docs/demo_table.sh" check "$demo_log" || other_failures+=("scripts/demo.sh's tables (tests/docs/demo_table.sh)")
else
  other_failures+=("scripts/demo.sh")
fi

# One closing line for every ctest run (skipped tests, which ctest counts as passed,
# are listed above under "did not run").
total=$(sed -n 's/.* out of \([0-9]*\)$/\1/p' "$summary" | awk '{ t += $1 } END { print t + 0 }')
failed=$(sed -n 's/.* \([0-9]*\) tests\{0,1\} failed .*/\1/p' "$summary" | awk '{ t += $1 } END { print t + 0 }')
skipped=$(awk '$1 == "skipped" { t += $2 } END { print t + 0 }' "$summary")
echo
grep '^coverage: shim/ branches' "$coverage" || echo "coverage: shim/ branches not measured (see above)"
echo "ljmm: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
for f in "${other_failures[@]}"; do
  echo "failed: $f" >&2
done
[ "$failed" = 0 ] && [ "${#other_failures[@]}" = 0 ]
