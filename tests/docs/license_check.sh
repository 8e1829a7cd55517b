#!/bin/sh
# SPDX-License-Identifier: MIT
# The license is stated once and everywhere it must be: LICENSE (MIT) at the root, a
# machine-readable packaging/copyright with the same license (Debian calls MIT
# "Expat"), and an SPDX line near the top of every source file (C, shell, CMake, Lua,
# man pages and the templates).
# Usage: license_check.sh SOURCE_DIR
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
src=$1
grep -q '^MIT License$' "$src/LICENSE" || fail_later "$src/LICENSE is not the MIT license"
grep -q '^License: Expat$' "$src/packaging/copyright" || fail_later "packaging/copyright does not name Expat (MIT)"
if grep -qi 'undecided\|placeholder' "$src/packaging/copyright"; then
  fail_later "packaging/copyright still has placeholder text"
fi
n=0
for f in $(cd "$src" && find . \( -name '.git' -o -name 'build*' -o -name corpus -o -name fixtures \) -prune -o \
    -type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.lua' -o -name 'CMakeLists.txt' \
    -o -name '*.cmake' -o -name '*.in' -o -name '*.[17]' -o -path './.ci/run' -o -path './packaging/debian/post*' \) -print); do
  n=$((n + 1))
  if ! sed -n 1,3p "$src/$f" | grep 'SPDX-License-Identifier: MIT' >/dev/null; then
    fail_later "$f has no 'SPDX-License-Identifier: MIT' line in its first three lines"
  fi
done
[ "$n" -gt 50 ] || fail_later "only $n source files found under $src"
exit_if_failed "license: $LJMM_FAILS problem(s)"
echo "license: LICENSE, packaging/copyright and $n source files say MIT"
