#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The nested guest's kernel (cases/nested.sh): Debian's linux-source-6.1
# (the package scripts/ci-deps.sh installs, unpacked once into
# $PVP_CACHE/nested/linux-source-6.1: scripts/kunit.sh wires its suites
# into its own copy) configured
# "make tinyconfig" + kernel.config, built into $PVP_CACHE/nested/build.
#
#   tests/e2e/nested/build.sh     prints the path of the vmlinux (PVH entry)
#
# Cached by a stamp of the source version and kernel.config; the build log
# is $PVP_CACHE/nested/build.log.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PVP_CACHE=${PVP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pasid-vfio-pci}
VER=6.1
TARBALL=/usr/src/linux-source-$VER.tar.xz
TREE=$PVP_CACHE/nested/linux-source-$VER
OUT=$PVP_CACHE/nested
FRAG=$HERE/kernel.config

msg() { printf '%s\n' "nested/build.sh: $*" >&2; }
die() { msg "error: $*"; exit 1; }

[ -f "$TARBALL" ] || die "$TARBALL missing (apt install linux-source-$VER: scripts/ci-deps.sh)"
srcver=$(dpkg-query -W -f '${Version}' "linux-source-$VER" 2>/dev/null || stat -c %Y "$TARBALL")
key=$( { echo "$srcver"; cat "$FRAG"; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$key" ] && [ -f "$OUT/vmlinux" ]; then
	echo "$OUT/vmlinux"
	exit 0
fi

mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9
if [ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$key" ] && [ -f "$OUT/vmlinux" ]; then
	echo "$OUT/vmlinux"
	exit 0
fi
t0=$SECONDS
if [ ! -f "$TREE/Makefile" ]; then
	rm -rf "$TREE" "$OUT/.unpack"
	mkdir -p "$OUT/.unpack"
	tar -C "$OUT/.unpack" -xf "$TARBALL" && mv "$OUT/.unpack/linux-source-$VER" "$TREE" ||
		die "unpacking $TARBALL failed"
	rm -rf "$OUT/.unpack"
fi
rm -f "$OUT/.stamp" "$OUT/vmlinux"
b=$OUT/build
log=$OUT/build.log
mk=(make -C "$TREE" O="$b" -j"$(nproc)")
command -v ccache >/dev/null && mk+=(CC="ccache gcc" HOSTCC="ccache gcc")
: >"$log"
step() {
	echo "# $*" >>"$log"
	"$@" >>"$log" 2>&1 </dev/null || { tail -n 30 "$log" >&2; die "'$*' failed (log: $log)"; }
}
msg "building the nested guest's kernel from $TREE (log: $log)"
step "${mk[@]}" tinyconfig
step "$TREE/scripts/kconfig/merge_config.sh" -m -O "$b" "$b/.config" "$FRAG"
step "${mk[@]}" olddefconfig
# Every line of the fragment took (olddefconfig drops what its
# dependencies refuse).
missing=$(grep -E '^CONFIG_' "$FRAG" | while IFS= read -r l; do
	case $l in
	*=n) grep -q "^${l%=n}=" "$b/.config" && echo "$l" ;;
	*) grep -qxF "$l" "$b/.config" || echo "$l" ;;
	esac
done)
[ -z "$missing" ] || die "did not take in $b/.config: $(echo "$missing" | tr '\n' ' ')"
step "${mk[@]}" vmlinux
cp "$b/vmlinux" "$OUT/vmlinux"
echo "$key" >"$OUT/.stamp"
msg "built in $((SECONDS - t0)) s: $OUT/vmlinux"
echo "$OUT/vmlinux"
