#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the pasid-vfio-pci-dkms Debian package from the work tree (committed
# or not; git-ignored files such as build outputs are left out), in a
# scratch copy, so the tree itself is never cleaned or written to.
#
#   debian/build.sh [-o OUTDIR] [--source] [--install-deps]
#
#   -o OUTDIR        where the results go (default: <top>/build/deb)
#   --source         also build the native source package (.dsc, .tar.xz)
#   --install-deps   install missing build dependencies (debhelper, dh-dkms)
#                    from the system's apt sources first (needs root)
#
# Prints the path of the .deb as its last line of output.  The build log is
# OUTDIR/build.log.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/deb
what=-b
deps=
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift 2 ;;
	--source) what= ; shift ;;
	--install-deps) deps=1; shift ;;
	-h | --help) sed -n '4,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "build.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
die() { echo "build.sh: $*" >&2; exit 1; }
# A make that calls us passes its jobserver; dpkg-buildpackage wants none.
unset MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES

# Build dependencies, from debian/control (bookworm: dh-sequence-dkms is
# provided by the dh-dkms package).
BUILD_DEPS=(dpkg-dev debhelper dh-dkms)
missing=()
for p in "${BUILD_DEPS[@]}"; do
	[ "$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ -n "$deps" ] || die "missing build dependencies: ${missing[*]} (apt-get install --no-install-recommends ${missing[*]}, or pass --install-deps)"
	[ "$(id -u)" = 0 ] || die "--install-deps needs root"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -q update >/dev/null
	apt-get -qy install --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
fi

ver=$(cd "$top" && dpkg-parsechangelog -S Version)
src=$(cd "$top" && dpkg-parsechangelog -S Source)
stage=$(mktemp -d "${TMPDIR:-/tmp}/pvp-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
tree=$stage/$src-$ver
mkdir -p "$tree"

# The sources as git sees them (tracked and untracked, not ignored).
if [ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" = "$top" ]; then
	git -C "$top" ls-files -z -co --exclude-standard |
		(cd "$top" && while IFS= read -r -d '' f; do
			[ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
		done) | tar -C "$top" --null -T - -cf -
else
	tar -C "$top" --exclude=.git --exclude=build --exclude='*.o' --exclude='*.ko' \
		--exclude='.*.cmd' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude=Module.symvers --exclude=modules.order --exclude='.build-*' \
		--exclude=src/conftest.h -cf - .
fi | tar -C "$tree" -xf -

mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/build.log
# shellcheck disable=SC2086 # $what is empty or one option
if ! (cd "$tree" && dpkg-buildpackage -us -uc $what) >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "dpkg-buildpackage failed (log: $log)"
fi
shopt -s nullglob
results=("$stage"/*.deb "$stage"/*.buildinfo "$stage"/*.changes "$stage"/*.dsc "$stage"/*.tar.*)
rm -f "$out/${src}_$ver"* "$out/$src-dkms_${ver}_"*
cp "${results[@]}" "$out/"
deb=$(ls "$out"/pasid-vfio-pci-dkms_"$ver"_all.deb)
echo "$deb"
