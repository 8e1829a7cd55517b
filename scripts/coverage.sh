#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Branch coverage of shim/ by the unit suites (ctest's unit_* tests): configures its own
# build folder with gcc --coverage (-O0, no LTO), builds and runs the unit suites, and
# prints one line per shim file and a total, e.g.
#   coverage: shim/alloc.c branches 95.0% (190/200)
#   coverage: shim/ branches 91.3% (1234/1351)
# A branch is a (file, line, branch) that gcov reports; one taken in any suite, through any
# object it is compiled into (ljmm_testcore, ljmm_fakecore; a header's inline functions in
# every file that includes it), counts as covered. Files no unit suite compiles are listed
# as such. Reports only: it exits non-zero when it cannot measure, never for a low figure.
# Usage: scripts/coverage.sh [--uncovered] [BUILD_DIR]   (default: build-coverage in the checkout)
#   --uncovered  also list each branch never taken, as "uncovered: shim/FILE:LINE branch N"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
detail=0
if [ "${1:-}" = --uncovered ]; then
  detail=1
  shift
fi
dir=${1:-$root/build-coverage}
command -v gcov >/dev/null || { echo "coverage: gcov not found (it comes with gcc)" >&2; exit 1; }

cmake -S "$root" -B "$dir" -DLJMM_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Debug -DLJMM_LTO=OFF \
  -DLJMM_ASAN=OFF -DLJMM_UBSAN=OFF -DCMAKE_C_FLAGS="--coverage -fprofile-update=atomic" >"$dir.configure.log" 2>&1 ||
  { cat "$dir.configure.log" >&2; exit 1; }
rm -f "$dir.configure.log"
# The unit suites' targets: test_<suite> for each ctest test unit_<suite>.
mapfile -t targets < <(cd "$dir" && ctest -N -R '^unit_' | sed -n 's/^ *Test *#[0-9]*: unit_\(.*\)$/test_\1/p')
[ "${#targets[@]}" -gt 0 ] || { echo "coverage: no unit suites (is Check installed?)" >&2; exit 1; }
cmake --build "$dir" -j2 --target "${targets[@]}" >/dev/null
find "$dir" -name '*.gcda' -delete
if ! (cd "$dir" && ctest -R '^unit_' >"$dir/coverage-ctest.log" 2>&1); then
  echo "coverage: some unit suites failed in the coverage build (figures below still count what ran):"
  grep -E 'Failed|\*\*\*' "$dir/coverage-ctest.log" || true
fi

# gcov each object's data in a folder of its own (headers would overwrite each other).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
while IFS= read -r gcda; do
  n=$((n + 1))
  mkdir "$work/$n"
  (cd "$work/$n" && gcov -b -c "$gcda" >/dev/null 2>&1) || true
done < <(find "$dir/tests" -name '*.gcda' -path '*/__/shim/*')
[ "$n" -gt 0 ] || { echo "coverage: no coverage data was written" >&2; exit 1; }

# Merge: branch (file, line, number) is covered if any object took it.
find "$work" -name '*.gcov' -print0 | xargs -0 cat | awk -v shim="$root/shim/" '
  /^ *-: *0:Source:/ { sub(/^ *-: *0:Source:/, ""); src = $0; keep = index(src, shim) == 1; next }
  !keep { next }
  /^ *[^ ]+: *[0-9]+:/ { split($0, fld, ":"); line = fld[2] + 0; next }
  /^branch / {
    key = substr(src, length(shim) + 1) SUBSEP line SUBSEP $2
    total[key] = 1
    if ($3 == "taken" && $4 + 0 > 0) taken[key] = 1
  }
  END {
    for (k in total) {
      split(k, p, SUBSEP); t[p[1]]++; all++
      if (k in taken) { c[p[1]]++; cov++ } else printf "UNCOVERED %s %d %d\n", p[1], p[2], p[3]
    }
    for (f in t) printf "%s %d %d\n", f, c[f] + 0, t[f]
    printf "TOTAL %d %d\n", cov + 0, all + 0
  }' >"$work/merged"

for src in "$root"/shim/*.c "$root"/shim/*.h; do
  f=${src#"$root/shim/"}
  read -r covered total < <(awk -v f="$f" '$1 == f { print $2, $3 }' "$work/merged"; echo "0 0")
  if [ "$total" -gt 0 ]; then
    awk -v f="$f" -v c="$covered" -v t="$total" 'BEGIN { printf "coverage: shim/%s branches %.1f%% (%d/%d)\n", f, 100 * c / t, c, t }'
  elif [ -n "$(find "$dir/tests" -name "$f.gcno" -path '*/__/shim/*' -print -quit)" ]; then
    echo "coverage: shim/$f no branches"
  elif [ "${f%.c}" != "$f" ]; then
    echo "coverage: shim/$f not compiled into any unit suite"
  fi
done
if [ "$detail" = 1 ]; then
  awk '$1 == "UNCOVERED" { printf "uncovered: shim/%s:%d branch %d\n", $2, $3, $4 }' "$work/merged" | sort -t: -k2,2 -k3,3n
fi
read -r covered total < <(awk '$1 == "TOTAL" { print $2, $3 }' "$work/merged")
awk -v c="$covered" -v t="$total" 'BEGIN { printf "coverage: shim/ branches %.1f%% (%d/%d)\n", t ? 100 * c / t : 0, c, t }'
