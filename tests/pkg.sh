#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package, end to end, on a clean Debian 12 root: build
# pasid-vfio-pci-dkms from the work tree (debian/build.sh), install it with
# apt into a debootstrapped bookworm root holding bookworm's 6.1 headers, let
# DKMS build and sign the module, inspect it, purge the package and check
# that nothing is left; then "make install" and "make uninstall" from the
# source tree in the same root, and, against a Debian kernel's vfio
# modules, what modprobe loads first and what libvirt would pick.  Last,
# scripts/ci-deps.sh runs in a second overlay of the root, twice: it must
# install no kernel image and no kernel headers, and the second run must
# change nothing.
#
#   tests/pkg.sh [--deb FILE]     --deb: test FILE instead of building one
#
# The root ($PVP_CACHE/roots/bookworm: debootstrap --variant=minbase plus
# linux-headers-amd64, dkms and openssl, all from bookworm) is made once and
# reused while $PVP_CACHE/roots/bookworm.stamp matches its recipe.  Each run
# works on throwaway overlays of it, in private mount namespaces: the
# cached root is never changed and nothing stays mounted.  Once the root
# exists only the ci-deps step needs the network (Debian's archive: apt-get
# update; the .debs it installs are kept in $PVP_CACHE/pkg-debs; its
# output and log go to $LOGDIR/ci-deps.{out,log}); PVP_PKG_CI_DEPS=0 skips
# that step.
# Prints PASS/FAIL pkg/<step> lines and "pkg: N passed, N failed"; needs root.
set -euo pipefail

self=$(readlink -f "$0")
top=$(cd "$(dirname "$self")/.." && pwd)
PVP_CACHE=${PVP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pasid-vfio-pci}
MIRROR=${PVP_MIRROR:-http://deb.debian.org/debian}
SEC_MIRROR=${PVP_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
ROOT=$PVP_CACHE/roots/bookworm
# The last run's apt logs (install.log, purge.log) and the package.
LOGDIR=$PVP_CACHE/pkg-logs
# What the root holds beyond minbase; the stamp.  openssl lets dkms make its
# signing key (see docs/admin-guide.md, Secure Boot).
ROOT_PKGS="linux-headers-amd64 dkms openssl"
RECIPE="bookworm minbase + $ROOT_PKGS (sources: bookworm, -updates, -security) v1"
NAME=pasid-vfio-pci
PKG=pasid-vfio-pci-dkms

# ---------------------------------------------------------------------------
# Inside the private mount namespace (re-executed by the outer part):
#   pkg.sh --inner <work dir> <deb>
# Mounts the overlay, /proc and /dev, runs the steps, prints the results.

in_root() {
	chroot "$MNT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

pass=0 fail=0
ok() { echo "PASS pkg/$1"; pass=$((pass + 1)); }
ko() {
	echo "FAIL pkg/$1${2:+: $2}"
	fail=$((fail + 1))
}
# verdict <check> <pass text>: ok with the text when why=() holds no
# reason, else ko with the reasons
verdict() {
	if [ ${#why[@]} -eq 0 ]; then
		ok "$2"
	else
		ko "$1" "$(IFS=';'; echo "${why[*]}")"
	fi
}
tail_log() { sed 's/^/    /' "$1" | tail -n "${2:-25}" >&2; }

# Split a module with an appended signature into content and PKCS#7:
#   ...content... | PKCS#7 (sig_len) | struct module_signature (12 bytes,
#   sig_len big-endian at 8) | "~Module signature appended~\n" (28 bytes)
split_sig() {
	local ko=$1 dir=$2 size len
	size=$(stat -c %s "$ko")
	[ "$(tail -c 28 "$ko")" = "~Module signature appended~" ] || return 1
	len=$(tail -c 32 "$ko" | head -c 4 | od -An -tu1 |
		awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')
	[ "$len" -gt 0 ] && [ "$len" -lt "$size" ] || return 1
	head -c $((size - 40 - len)) "$ko" >"$dir/content"
	tail -c $((len + 40)) "$ko" | head -c "$len" >"$dir/sig.p7"
}

inner() {
	local work=$1 deb=$2 log st kos kmod kver p mk
	MNT=$work/mnt
	log=$work/log
	mkdir -p "$MNT" "$work/upper" "$work/ovl"
	mount -t overlay overlay \
		-o "lowerdir=$ROOT,upperdir=$work/upper,workdir=$work/ovl" "$MNT"
	mount -t proc proc "$MNT/proc"
	mount --rbind /dev "$MNT/dev"
	mount -t tmpfs tmpfs "$MNT/tmp"
	cp "$deb" "$MNT/tmp/"

	kver=$(cd "$MNT/lib/modules" && for k in *; do
		[ -f "$k/build/Makefile" ] && echo "$k"; done | sort -V | tail -n 1)
	if [ -z "$kver" ]; then
		ko setup "no kernel headers in the root"
		return 1
	fi

	# install: apt resolves the package's dependencies; the postinst
	# (dh_dkms) runs dkms add/build/install for the root's kernels.
	local t0=$SECONDS
	if in_root apt-get -qy install "/tmp/${deb##*/}" >"$log" 2>&1; then
		ok "install (DKMS build for $kver in $((SECONDS - t0)) s)"
	else
		ko install "apt-get install ./${deb##*/} failed (log: $LOGDIR/install.log)"
		cp "$log" "$LOGDIR/install.log"
		tail_log "$log"
		mk=$MNT/var/lib/dkms/$NAME/$VERSION/build/make.log
		[ ! -f "$mk" ] || tail_log "$mk"
		return 1
	fi
	cp "$log" "$LOGDIR/install.log"

	# dkms status
	st=$(in_root dkms status "$NAME/$VERSION" -k "$kver" 2>&1 || true)
	if grep -q "^$NAME/$VERSION, $kver, [^:]*: installed" <<<"$st"; then
		ok "dkms-status"
	else
		ko dkms-status "'$st'"
	fi

	# The installed module and what modinfo says of it
	mapfile -t kos < <(cd "$MNT" && find "lib/modules/$kver" -name "$NAME.ko*")
	if [ ${#kos[@]} -ne 1 ]; then
		ko modinfo "want one $NAME.ko* under /lib/modules/$kver, found ${#kos[@]}: ${kos[*]}"
		return 1
	fi
	kmod=/${kos[0]}
	local why=()
	mi() { in_root modinfo -F "$1" "$kmod" 2>/dev/null | paste -sd' ' -; }
	[[ $kmod == /lib/modules/$kver/updates/dkms/* ]] || why+=("installed at $kmod")
	[ "$(mi license)" = GPL ] || why+=("license '$(mi license)'")
	[ "$(mi name)" = "${NAME//-/_}" ] || why+=("name '$(mi name)'")
	[ -z "$(mi alias)" ] || why+=("alias '$(mi alias)' (the module must have none)")
	[ "$(mi depends)" = vfio-pci-core,vfio ] || why+=("depends '$(mi depends)'")
	[[ "$(mi vermagic)" == "$kver "* ]] || why+=("vermagic '$(mi vermagic)'")
	[ -n "$(mi description)" ] || why+=("no description")
	for p in pasid_offset require_pf_enabled guard; do
		in_root modinfo -F parm "$kmod" | grep -q "^$p:" || why+=("no parameter $p")
	done
	verdict modinfo "modinfo ($kmod: no alias, depends $(mi depends))"

	# Secure Boot: bookworm's dkms made a key pair (openssl) and signed the
	# module with the kbuild sign-file.
	why=()
	local key=/var/lib/dkms/mok.key cert=/var/lib/dkms/mok.pub serial hash
	[ -f "$MNT$key" ] && [ -f "$MNT$cert" ] || why+=("no $key/$cert")
	if [ ${#why[@]} -eq 0 ]; then
		serial=$(in_root openssl x509 -inform DER -in "$cert" -noout -serial | sed 's/^serial=//')
		hash=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"/\1/p' "$MNT/lib/modules/$kver/build/.config")
		[ "$(mi signer)" = "DKMS module signing key" ] || why+=("signer '$(mi signer)'")
		[ "$(mi sig_key | tr -d ':' | sed 's/^\(00\)*//')" = "$serial" ] || why+=("sig_key '$(mi sig_key)' is not $cert's serial $serial")
		[ "$(mi sig_hashalgo)" = "${hash:-sha512}" ] || why+=("sig_hashalgo '$(mi sig_hashalgo)', kernel wants ${hash:-sha512}")
		# And the signature really is the key's, over the module.
		mkdir -p "$MNT/tmp/sig"
		if ! split_sig "$MNT$kmod" "$MNT/tmp/sig"; then
			why+=("no appended signature")
		elif ! in_root openssl cms -verify -binary -inform DER -in /tmp/sig/sig.p7 \
			-content /tmp/sig/content -certfile "$cert" -nointern -noverify \
			-out /dev/null >"$log" 2>&1; then
			why+=("signature does not verify with $cert: $(head -n 1 "$log")")
		fi
	fi
	verdict signature "signature ($(mi signer), $(mi sig_hashalgo), key $serial)"

	cp "$MNT$kmod" "$work/$NAME.ko"

	# purge: the prerm runs dkms remove --all.
	if in_root apt-get -qy purge "$PKG" >"$log" 2>&1; then
		cp "$log" "$LOGDIR/purge.log"
		local left=()
		[ -z "$(cd "$MNT" && find usr/src -maxdepth 1 -name "$NAME-*")" ] || left+=("/usr/src/$NAME-*")
		[ ! -e "$MNT/var/lib/dkms/$NAME" ] || left+=("/var/lib/dkms/$NAME")
		[ -z "$(cd "$MNT" && find lib/modules -name "$NAME.ko*")" ] || left+=("$NAME.ko under /lib/modules")
		! grep -qs "$NAME" "$MNT/lib/modules/$kver/modules.dep" || left+=("modules.dep entry")
		[ -z "$(in_root dkms status "$NAME" 2>/dev/null)" ] || left+=("dkms status entry")
		# shellcheck disable=SC2016 # a dpkg-query format
		st=$(in_root dpkg-query -W -f '${db:Status-Abbrev}' "$PKG" 2>/dev/null || true)
		case $st in '' | un* | pn*) ;; *) left+=("dpkg status of $PKG is '$st'") ;; esac
		if [ ${#left[@]} -eq 0 ]; then ok purge; else ko purge "left: ${left[*]}"; fi
	else
		ko purge "apt-get purge $PKG failed"
		tail_log "$log"
	fi

	# make install / make uninstall from a source tree, into updates/
	make_install "$kver"
	echo "$pass $fail" >"$work/counts"
}

# make_install <kver>: the Makefile's install and uninstall targets, run
# in the root as root would on a host, from a copy of the source tree
make_install() {
	local kver=$1 ko=/lib/modules/$1/updates/$NAME.ko why=()
	mkdir -p "$MNT/tmp/src"
	tar -C "$SRC" --exclude=.git --exclude=tests --exclude=kunit --exclude=build -cf - . |
		tar -C "$MNT/tmp/src" -xf -
	if ! in_root make -C /tmp/src KVER="$kver" install >"$log" 2>&1; then
		cp "$log" "$LOGDIR/make-install.log"
		ko make-install "make install failed (log: $LOGDIR/make-install.log)"
		tail_log "$log"
		return
	fi
	[ -f "$MNT$ko" ] || why+=("no $ko")
	grep -q "^updates/$NAME.ko:" "$MNT/lib/modules/$kver/modules.dep" ||
		why+=("no modules.dep entry")
	[ "$(in_root modinfo -k "$kver" -F filename "$NAME" 2>&1)" = "$ko" ] ||
		why+=("modinfo finds '$(in_root modinfo -k "$kver" -F filename "$NAME" 2>&1)'")
	verdict make-install "make-install ($ko)"
	why=()
	if in_root make -C /tmp/src KVER="$kver" uninstall >"$log" 2>&1; then
		[ ! -e "$MNT$ko" ] || why+=("$ko left")
		! grep -q "$NAME" "$MNT/lib/modules/$kver/modules.dep" ||
			why+=("modules.dep entry left: $(grep "$NAME" "$MNT/lib/modules/$kver/modules.dep" | paste -sd' ' -)")
		! in_root modinfo -k "$kver" "$NAME" >/dev/null 2>&1 ||
			why+=("modinfo still finds $(in_root modinfo -k "$kver" -F filename "$NAME")")
	else
		why+=("make uninstall failed: $(tail -n 1 "$log")")
	fi
	verdict make-uninstall make-uninstall
}

# ci_deps <work dir>: scripts/ci-deps.sh in a fresh overlay of the root,
# twice.  The first run installs the tools (exit 0) and adds the
# bookworm-backports source, saying so; no linux-image-* may be installed
# afterwards and the linux-headers-* must be those the root had.  The second
# run must say "already installed" and leave dpkg -l and the sources as
# they were.
ci_deps() {
	local work=$1/ci log=$1/ci/log why=() out t0 t1 t2 rc
	local bpo=/etc/apt/sources.list.d/bookworm-backports.sources
	MNT=$work/mnt
	mkdir -p "$MNT" "$work/upper" "$work/ovl" "$PVP_CACHE/pkg-debs"
	mount -t overlay overlay \
		-o "lowerdir=$ROOT,upperdir=$work/upper,workdir=$work/ovl" "$MNT"
	mount -t proc proc "$MNT/proc"
	mount --rbind /dev "$MNT/dev"
	mount -t tmpfs tmpfs "$MNT/tmp"
	# Downloads are kept for the next run (one run at a time uses them).
	mount --bind "$PVP_CACHE/pkg-debs" "$MNT/var/cache/apt/archives"
	exec 7>"$PVP_CACHE/pkg-debs.lock"
	flock 7
	cp -L /etc/resolv.conf "$MNT/etc/resolv.conf" 2>/dev/null || true
	# No service starts in the root.
	printf '#!/bin/sh\nexit 101\n' >"$MNT/usr/sbin/policy-rc.d"
	chmod 755 "$MNT/usr/sbin/policy-rc.d"
	cp "$top/scripts/ci-deps.sh" "$MNT/tmp/ci-deps.sh"
	# shellcheck disable=SC2016 # dpkg-query formats
	kpkgs() {
		{ in_root dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version}\n' "$1" 2>/dev/null || true; } |
			sed -n 's/^ii  //p' | sort
	}
	local hdr0 hdr1 img l1 l2 src1 src2 boot
	hdr0=$(kpkgs 'linux-headers-*')

	# 1. The first run: the tools.
	t0=$SECONDS rc=0
	in_root /tmp/ci-deps.sh >"$log" 2>&1 || rc=$?
	t1=$((SECONDS - t0))
	cp "$MNT/tmp/pasid-vfio-pci-ci-deps.log" "$LOGDIR/ci-deps.log" 2>/dev/null || true
	out=$(cat "$log")
	{ echo "# first run, exit $rc"; cat "$log"; } >"$LOGDIR/ci-deps.out"
	if [ $rc -ne 0 ]; then
		ko ci-deps "exit $rc after $t1 s: $(tail -n 1 "$log") (log: $LOGDIR/ci-deps.log)"
		if [ -s "$LOGDIR/ci-deps.log" ]; then tail_log "$LOGDIR/ci-deps.log"; else tail_log "$log"; fi
		return 1
	fi
	ok "ci-deps (first run in $t1 s: $(sed -n 's/^ci-deps: ok, \([0-9]*\) packages newly installed.*/\1 packages newly installed/p' <<<"$out"))"

	# 2. No kernel: no image, the same headers, nothing in /boot.
	img=$(kpkgs 'linux-image-*')
	hdr1=$(kpkgs 'linux-headers-*')
	[ -z "$img" ] || why+=("installed $(echo "$img" | cut -d' ' -f1 | paste -sd' ' -)")
	[ "$hdr0" = "$hdr1" ] || why+=("linux-headers-* before: '$(echo "$hdr0" | paste -sd, -)', after: '$(echo "$hdr1" | paste -sd, -)'")
	boot=$(cd "$MNT/boot" 2>/dev/null && find . -mindepth 1 -maxdepth 1 -printf '%f ')
	[ -z "$boot" ] || why+=("/boot holds $boot")
	verdict ci-deps-no-kernel "ci-deps-no-kernel (no linux-image-*, headers as before: $(echo "$hdr1" | cut -d' ' -f1 | paste -sd' ' -), /boot empty)"

	# 3. What it changed besides packages: the backports source, said so.
	why=()
	[ -f "$MNT$bpo" ] || why+=("no $bpo")
	grep -qF "added $bpo" <<<"$out" || why+=("did not say that it added $bpo: '$(paste -sd' ' - <<<"$out")'")
	grep -q '^ci-deps: ok, ' <<<"$out" || why+=("no 'ci-deps: ok' line")
	verdict ci-deps-says "ci-deps-says ($(grep -c . <<<"$out") lines: the source it added, what it installed)"

	# 4. The second run: a no-op.
	why=()
	l1=$(in_root dpkg -l)
	src1=$(cd "$MNT/etc/apt" && find . -type f -print0 | sort -z | xargs -0 md5sum)
	t0=$SECONDS rc=0
	in_root /tmp/ci-deps.sh >"$log" 2>&1 || rc=$?
	t2=$((SECONDS - t0))
	l2=$(in_root dpkg -l)
	{ echo "# second run, exit $rc"; cat "$log"; } >>"$LOGDIR/ci-deps.out"
	src2=$(cd "$MNT/etc/apt" && find . -type f -print0 | sort -z | xargs -0 md5sum)
	[ $rc -eq 0 ] || why+=("exit $rc: $(tail -n 1 "$log")")
	grep -q '^ci-deps: all .*already installed' "$log" ||
		why+=("no 'already installed' line: '$(paste -sd' ' - <"$log")'")
	[ "$l1" = "$l2" ] || why+=("dpkg -l changed: $(diff <(echo "$l1") <(echo "$l2") | grep '^[<>]' | head -n 3 | paste -sd' ' -)")
	[ "$src1" = "$src2" ] || why+=("/etc/apt changed")
	verdict ci-deps-again "ci-deps-again (no-op in $t2 s: $(head -n 1 "$log"))"
}

if [ "${1:-}" = --inner ]; then
	VERSION=$4
	SRC=$top
	rc=0
	inner "$2" "$3" || rc=$?
	[ -f "$2/counts" ] || echo "$pass $fail" >"$2/counts"
	exit $rc
fi
if [ "${1:-}" = --inner-ci ]; then
	LOGDIR=$3
	rc=0
	ci_deps "$2" || rc=$?
	echo "$pass $fail" >"$2/ci-counts"
	exit $rc
fi

# ---------------------------------------------------------------------------
# Outer part: the package, the root, one namespace for the steps.

[ "$(id -u)" = 0 ] || { echo "FAIL pkg/setup: needs root"; exit 1; }
deb=
case ${1:-} in
--deb) deb=$(readlink -f "$2") ;;
'') ;;
*) echo "usage: $0 [--deb FILE]" >&2; exit 2 ;;
esac
for c in debootstrap unshare chroot dpkg-deb; do
	command -v "$c" >/dev/null || { echo "FAIL pkg/setup: $c is not installed"; exit 1; }
done
unset MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES
t_start=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/pvp-pkg.XXXXXX")
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	# The namespace's mounts died with it; nothing under $work is mounted.
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
outer_pass=0 outer_fail=0
OK() { echo "PASS pkg/$1"; outer_pass=$((outer_pass + 1)); }
KO() {
	echo "FAIL pkg/$1${2:+: $2}"
	outer_fail=$((outer_fail + 1))
}
summary() {
	local p=$outer_pass f=$outer_fail ip=0 if=0 cp=0 cf=0
	[ ! -f "$work/counts" ] || read -r ip if <"$work/counts"
	[ ! -f "$work/ci-counts" ] || read -r cp cf <"$work/ci-counts"
	p=$((p + ip + cp)) f=$((f + if + cf))
	echo "pkg: $p passed, $f failed in $((SECONDS - t_start)) s (root: $root_how)"
	[ "$f" -eq 0 ]
}
root_how=none

VERSION=$(bash -c ". '$top/dkms.conf'; echo \"\$PACKAGE_VERSION\"")

# 1. The package.
if [ -z "$deb" ]; then
	t0=$SECONDS
	if deb=$("$top/debian/build.sh" -o "$work/deb" 2>"$work/build.err" | tail -n 1) &&
		[ -f "$deb" ]; then
		OK "build ($((SECONDS - t0)) s)"
	else
		KO build "debian/build.sh failed"
		tail_log "$work/build.err"
		summary
		exit 1
	fi
fi
# What it holds: what DKMS needs, nothing generated.
why=()
usrsrc=usr/src/$NAME-$VERSION
listing=$(dpkg-deb -c "$deb")
contents=$(awk '{ print $6 }' <<<"$listing" | sed 's,^\./,,')
for f in dkms.conf Makefile Kbuild LICENSE src/main.c src/pvp.h include/pasid_vfio_pci.h scripts/conftest.sh; do
	grep -qx "$usrsrc/$f" <<<"$contents" || why+=("no /$usrsrc/$f")
done
bad=$(grep -E '\.(o|ko|cmd|mod)$|conftest\.h$|/\.git' <<<"$contents" || true)
[ -z "$bad" ] || why+=("generated files: $(echo "$bad" | tr '\n' ' ')")
grep -q "^-rwxr-xr-x .* ./$usrsrc/scripts/conftest.sh$" <<<"$listing" ||
	why+=("conftest.sh is not executable")
[ "$(dpkg-deb -f "$deb" Architecture)" = all ] || why+=("Architecture $(dpkg-deb -f "$deb" Architecture)")
grep -q 'dkms (>= ' <<<"$(dpkg-deb -f "$deb" Depends)" || why+=("Depends '$(dpkg-deb -f "$deb" Depends)'")
postinst=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./postinst)
grep -q "^DKMS_NAME=$NAME\$" <<<"$postinst" || why+=("no dh_dkms postinst")
if [ ${#why[@]} -eq 0 ]; then
	OK "contents (${deb##*/}: $(grep -c "^$usrsrc/.*[^/]$" <<<"$contents") files in /$usrsrc)"
else
	KO contents "$(IFS=';'; echo "${why[*]}")"
fi

# 2. The root, made once.  An exclusive lock while making it, a shared one
# while using it, so a concurrent run never sees half a root.
mkdir -p "$(dirname "$ROOT")"
exec 8>"$ROOT.lock"
root_ok() { [ "$(cat "$ROOT.stamp" 2>/dev/null)" = "$RECIPE" ] && [ -x "$ROOT/usr/sbin/dkms" ]; }
make_root() {
	local new=$ROOT.new log=$ROOT.log sb="[signed-by=$KEYRING]"
	rm -rf --one-file-system "$new" "$ROOT" "$ROOT.stamp"
	echo "pkg.sh: debootstrapping bookworm into $ROOT (a few minutes, once)" >&2
	debootstrap --variant=minbase --keyring="$KEYRING" bookworm "$new" "$MIRROR" >"$log" 2>&1 ||
		return 1
	cat >"$new/etc/apt/sources.list" <<-EOF
		deb $sb $MIRROR bookworm main
		deb $sb $MIRROR bookworm-updates main
		deb $sb $SEC_MIRROR bookworm-security main
	EOF
	cp /etc/resolv.conf "$new/etc/resolv.conf" 2>/dev/null || true
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --propagation private -- /bin/sh -c '
		mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" &&
		chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
			sh -c "apt-get -q update && apt-get -qy install --no-install-recommends $2 && apt-get clean"
	' sh "$new" "$ROOT_PKGS" >>"$log" 2>&1 || return 1
	mv "$new" "$ROOT"
	echo "$RECIPE" >"$ROOT.stamp"
}
t0=$SECONDS
if flock -s 8 && root_ok; then
	root_how="cached"
else
	flock 8
	if root_ok; then
		root_how="cached"
	elif make_root; then
		root_how="built in $((SECONDS - t0)) s"
	else
		KO root "making the bookworm root failed (log: $ROOT.log)"
		tail_log "$ROOT.log"
		summary
		exit 1
	fi
	flock -s 8
fi
OK "root ($root_how: $(cd "$ROOT/lib/modules" && echo *))"

# 3. Install, inspect, purge on an overlay of the root.
cp "$deb" "$work/"
rm -rf "$LOGDIR" && mkdir -p "$LOGDIR" && cp "$deb" "$LOGDIR/"
rc=0
unshare --mount --propagation private -- "$self" --inner "$work" "$work/${deb##*/}" "$VERSION" || rc=$?

# 4. libvirt >= 10 binds a managed <hostdev> to the vfio_pci alias of
# modules.alias with the fewest wildcards, the first one on a tie
# (src/util/virpci.c, virPCIDeviceFindBestVFIOVariant()).  The module has
# no alias, so libvirt must pick vfio_pci where vfio-pci is a module, and
# nothing (plain vfio-pci) where it is built in, its alias then being in
# modules.builtin.alias, which libvirt does not read.  Checked with depmod
# on a Debian kernel's vfio modules, when scripts/kernels.sh has fetched
# one; the same tree shows what modprobe loads before the module.
libvirt_pick() { # <modules.alias> <device modalias without "pci:">
	awk -v dev="$2" '
	function fields(s, f,   i, n, names, p, q) {
		n = split("v d sv sd bc sc i", names, " ")
		for (i = 1; i <= n; i++) {
			if (substr(s, 1, length(names[i])) != names[i]) return 0
			s = substr(s, length(names[i]) + 1)
			if (i < n) { p = index(s, names[i + 1]); if (!p) return 0; q = substr(s, 1, p - 1); s = substr(s, p) }
			else q = s
			f[i] = q
		}
		return 1
	}
	BEGIN { fields(dev, d); best = 99 }
	$1 == "alias" && $2 ~ /^vfio_pci:/ {
		if (!fields(substr($2, 10), a)) next
		w = 0
		for (i = 1; i <= 7; i++) { if (a[i] == "*") w++; else if (a[i] != d[i]) next }
		if (w < best) { best = w; mod = $3 }
	}
	END { print mod }' "$1"
}
kmods=$(find "$PVP_CACHE"/k/*/root/lib/modules/*/kernel/drivers/vfio -maxdepth 1 -name pci -type d 2>/dev/null | sort | head -n 1)
if [ ! -f "$work/$NAME.ko" ]; then
	:
elif [ -z "$kmods" ]; then
	echo "SKIP pkg/libvirt-alias: no Debian kernel modules in $PVP_CACHE/k (scripts/kernels.sh fetch 6.1)"
	echo "SKIP pkg/modprobe-deps: no Debian kernel modules in $PVP_CACHE/k (scripts/kernels.sh fetch 6.1)"
else
	mroot=${kmods%/kernel/drivers/vfio/pci}
	kv=${mroot##*/}
	dm=$work/dm/lib/modules/$kv
	mkdir -p "$dm/kernel/drivers" "$dm/updates/dkms"
	cp -r "$mroot/kernel/drivers/vfio" "$dm/kernel/drivers/"
	cp "$mroot"/modules.order "$mroot"/modules.builtin* "$dm/" 2>/dev/null || true
	cp "$work/$NAME.ko" "$dm/updates/dkms/"
	depmod -b "$work/dm" "$kv" 2>/dev/null
	order=$(awk '$2 == "vfio_pci:v*d*sv*sd*bc*sc*i*" { printf "%s%s (line %d)", n++ ? ", " : "", $3, NR }' "$dm/modules.alias")
	# modprobe (kmod's) takes what the module needs from modules.dep:
	# vfio and vfio-pci-core first, the module last, nothing missing
	deps=$(modprobe -d "$work/dm" -S "$kv" --show-depends "$NAME" 2>&1)
	names=$(awk '$1 == "insmod" { n = $2; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); printf "%s ", n }' <<<"$deps")
	if [[ " $names" == *" vfio "*" vfio-pci-core $NAME " ]] &&
		[ "$(tail -n 1 <<<"$deps")" = "insmod $dm/updates/dkms/$NAME.ko " ] &&
		! grep -qvE '^(insmod|builtin) ' <<<"$deps"; then
		OK "modprobe-deps (modules.dep of $kv: $names)"
	else
		KO modprobe-deps "modprobe --show-depends: $(paste -sd';' - <<<"$deps")"
	fi
	# an igb VF, as QEMU's igb shows it; vfio-pci as a module, then as
	# if built in (its alias out of modules.alias)
	igbvf=v00008086d000010CAsv00001AF4sd00001100bc02sc00i00
	pick=$(libvirt_pick "$dm/modules.alias" $igbvf)
	grep -v ' vfio_pci$' "$dm/modules.alias" >"$work/builtin.alias"
	pick_builtin=$(libvirt_pick "$work/builtin.alias" $igbvf)
	# the replay is not vacuous: with the all-wildcard alias that
	# MODULE_DEVICE_TABLE would give, a built-in vfio-pci loses to it
	echo "alias vfio_pci:v*d*sv*sd*bc*sc*i* ${NAME//-/_}" >>"$work/builtin.alias"
	pick_control=$(libvirt_pick "$work/builtin.alias" $igbvf)
	if [ "$pick_control" != "${NAME//-/_}" ]; then
		KO libvirt-alias "replay does not see a wildcard alias (picks '$pick_control')"
	elif grep -q " ${NAME//-/_}\$" "$dm/modules.alias"; then
		KO libvirt-alias "modules.alias has an alias of ${NAME//-/_}: $order"
	elif [ "$pick" != vfio_pci ] || [ -n "$pick_builtin" ]; then
		KO libvirt-alias "libvirt picks '$pick' (vfio-pci a module), '$pick_builtin' (built in); want vfio_pci and none"
	else
		OK "libvirt-alias (modules.alias of $kv: $order; libvirt picks $pick, or plain vfio-pci where it is built in)"
	fi
fi
# 5. scripts/ci-deps.sh in a clean root: tools only, idempotent.
if [ "${PVP_PKG_CI_DEPS:-1}" = 0 ]; then
	echo "SKIP pkg/ci-deps: PVP_PKG_CI_DEPS=0"
else
	mkdir -p "$work/ci"
	unshare --mount --propagation private -- "$self" --inner-ci "$work" "$LOGDIR" || rc=1
fi
summary || rc=1
exit $rc
