#!/bin/sh
# SPDX-License-Identifier: MIT
# The license is stated once and everywhere it must be: LICENSE (MIT) at the root, a
# machine-readable packaging/copyright with the same license (Debian calls MIT
# "Expat"), and an SPDX line near the top of every source file (C, shell, CMake, Lua,
# man pages and the templates).
# Usage: license_check.sh SOURCE_DIR
set -eu
src=$1
fail=0
grep -q '^MIT License$' "$src/LICENSE" || { echo "FAIL: $src/LICENSE is not the MIT license"; fail=1; }
grep -q '^License: Expat$' "$src/packaging/copyright" || { echo "FAIL: packaging/copyright does not name Expat (MIT)"; fail=1; }
if grep -qi 'undecided\|placeholder' "$src/packaging/copyright"; then
  echo "FAIL: packaging/copyright still has placeholder text"; fail=1
fi
n=0
for f in $(cd "$src" && find . \( -name '.git' -o -name 'build*' -o -name corpus -o -name fixtures \) -prune -o \
    -type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.lua' -o -name 'CMakeLists.txt' \
    -o -name '*.cmake' -o -name '*.in' -o -name '*.[17]' -o -path './.ci/run' -o -path './packaging/debian/post*' \) -print); do
  n=$((n + 1))
  if ! head -n 3 "$src/$f" | grep 'SPDX-License-Identifier: MIT' >/dev/null; then
    echo "FAIL: $f has no 'SPDX-License-Identifier: MIT' line in its first three lines"
    fail=1
  fi
done
[ "$n" -gt 50 ] || { echo "FAIL: only $n source files found under $src"; fail=1; }
[ "$fail" = 0 ] && echo "license: LICENSE, packaging/copyright and $n source files say MIT"
exit "$fail"
