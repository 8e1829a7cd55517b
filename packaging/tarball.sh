#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Makes the relocatable tarball ljmm-VERSION-linux-x86_64.tar.gz, for any x86-64 Linux
# with glibc 2.17 or newer: unpack it anywhere and run bin/ljmm-run, which finds the
# library at ../lib relative to itself (packaging/tarball/README, shipped in it, says
# how to use it).
#
# Usage: packaging/tarball.sh [BUILD_DIR [OUT_DIR]]
#   BUILD_DIR  a build tree for the tarball alone (default: build-tarball in the source
#              tree). It is configured here with -DCMAKE_INSTALL_LIBDIR=lib, so that the
#              installed ljmm-run looks for ../lib/libljmm_preload.so, and without tests.
#   OUT_DIR    where the tarball and its .sha256 go (default: BUILD_DIR).
# Environment: CMAKE (default cmake); SOURCE_DATE_EPOCH (default: the date of the
# newest entry of packaging/changelog) for the files' time stamps.
# Prints the tarball's path on its last line.
#
# Not `cpack -G TGZ`: the tarball holds a chosen part of the installation (no ljmm.pc,
# whose paths would be wrong wherever it is unpacked; ljmm-link.pc made relocatable)
# plus its own
# README, and the script makes it reproducible: a stripped `cmake --install`, modes
# normalised, owner and group 0, names sorted, one time stamp, gzip -n.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-tarball}
out=${2:-$build}
cmake=${CMAKE:-cmake}
die() {
	echo "tarball.sh: $*" >&2
	exit 1
}
[ "$(uname -m)" = x86_64 ] || die "ljmm is built for x86-64 only (this machine: $(uname -m))"

# The tree is configured for the tarball: never reconfigure someone's own build tree.
if [ -e "$build/CMakeCache.txt" ] && [ ! -e "$build/.ljmm-tarball-tree" ]; then
	die "$build is a build tree this script did not make; give it a directory of its own"
fi
mkdir -p "$build"
: >"$build/.ljmm-tarball-tree"
# A prefix for the one absolute path the installed ljmm-run keeps, its fallback when
# ../lib is missing; /opt/ljmm is where the README suggests unpacking.
"$cmake" -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/opt/ljmm \
	-DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_BINDIR=bin -DCMAKE_INSTALL_MANDIR=share/man \
	-DLJMM_BUILD_TESTS=OFF >"$build/tarball-configure.log" 2>&1 ||
	{ cat "$build/tarball-configure.log" >&2; die "configuring $build failed"; }
"$cmake" --build "$build" -j2 >"$build/tarball-build.log" 2>&1 ||
	{ tail -n 40 "$build/tarball-build.log" >&2; die "building $build failed"; }

stage=$build/tarball-stage
rm -rf "$stage"
"$cmake" --install "$build" --prefix "$stage/install" --strip >"$build/tarball-install.log" 2>&1 ||
	{ cat "$build/tarball-install.log" >&2; die "cmake --install failed"; }
inst=$stage/install
version=$("$inst/bin/ljmm-run" --version | sed -n 's/^ljmm-run (ljmm) //p')
[ -n "$version" ] || die "cannot read the version from $inst/bin/ljmm-run --version"
name=ljmm-$version-linux-x86_64
top=$stage/$name

mkdir -p "$top/bin" "$top/include" "$top/lib/ljmm" "$top/lib/pkgconfig" "$top/lib/systemd/system" "$top/share/man/man1" "$top/share/man/man7" "$top/share/ljmm/prometheus"
cp "$inst/bin/ljmm-run" "$inst/bin/ljmm-maps" "$top/bin/"
cp -P "$inst/lib/libljmm_preload.so" "$inst/lib/libljmm_preload.so.0" "$inst/lib/libljmm_preload.so.$version" "$top/lib/"
# The link form (stripped of its debug sections by the --strip install above), and
# ljmm-link.pc with its prefix found from where it lies (pkg-config's ${pcfiledir}), so
# that `pkg-config --libs ljmm-link` names the unpacked object wherever that is; its
# Cflags name include/, hence ljmm.h.
cp "$inst/lib/ljmm/ljmm.o" "$inst/lib/ljmm/ljmm.dynlist" "$top/lib/ljmm/"
cp "$inst/include/ljmm.h" "$top/include/"
grep -qx 'libdir=${prefix}/lib' "$inst/lib/pkgconfig/ljmm-link.pc" ||
	die "ljmm-link.pc's libdir is not \${prefix}/lib: it cannot be made relocatable"
sed 's|^prefix=.*|prefix=${pcfiledir}/../..|' "$inst/lib/pkgconfig/ljmm-link.pc" >"$top/lib/pkgconfig/ljmm-link.pc"
cp "$inst/share/man/man1/ljmm-run.1.gz" "$inst/share/man/man1/ljmm-maps.1.gz" "$top/share/man/man1/"
cp "$inst/share/man/man7/ljmm.7.gz" "$top/share/man/man7/"
# The textfile units (their service runs /opt/ljmm/bin/ljmm-maps, the prefix above,
# which the README's link makes true) and the Prometheus rules.
cp "$inst/lib/systemd/system/ljmm-textfile.service" "$inst/lib/systemd/system/ljmm-textfile.timer" "$top/lib/systemd/system/"
cp "$inst/share/ljmm/prometheus/ljmm-rules.yml" "$top/share/ljmm/prometheus/"
cp "$src/LICENSE" "$top/LICENSE"
sed "s/@VERSION@/$version/g" "$src/packaging/tarball/README" >"$top/README"
# Modes as a package would have them: programs 755, everything else 644 (ld.so needs
# no execute bit on a library), directories 755.
find "$top" -type d -exec chmod 755 {} +
find "$top" -type f -exec chmod 644 {} +
chmod 755 "$top/bin/ljmm-run" "$top/bin/ljmm-maps"

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	when=$(sed -n 's/^ -- .*>  //p' "$src/packaging/changelog" | sed -n 1p)
	SOURCE_DATE_EPOCH=$(date -d "$when" +%s) || die "cannot read the date '$when' of packaging/changelog's newest entry"
fi
mkdir -p "$out"
tarball=$(cd "$out" && pwd)/$name.tar.gz
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" --format=gnu \
	-C "$stage" -cf - "$name" | gzip -9n >"$tarball.tmp"
mv "$tarball.tmp" "$tarball"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
rm -rf "$stage"
cat "$out/$name.tar.gz.sha256"
echo "$tarball"
