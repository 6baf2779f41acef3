#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of pasid-vfio-pci in QEMU guests (TCG, q35, intel-iommu,
# igb and nvme SR-IOV PFs; a test-only fixture grafts PASID onto a PF).
#
#   tests/e2e/run.sh            every kernel in ${PVP_KERNELS:-6.1 6.12 7.3 6.12-rt 7.3-iommufd},
#                               each with intel-iommu in default and in
#                               scalable (x-scalable-mode, x-pasid-mode) mode
#   tests/e2e/run.sh --demo [TAG]   a short walk-through on one kernel (6.12)
#
# Environment: PVP_KERNELS, PVP_MODES ("default scalable"), PVP_CASES (guest
# case letters, default all: "a b c d e f"), PVP_ALONE=1 (each case in a
# boot of its own, see alone_cases), PVP_BOOT_TIMEOUT (s per boot,
# default 900), PVP_CACHE.  Output: the guest's PASS/FAIL/SKIP lines, a
# summary line per kernel and "N passed, N failed, N skipped" last; exit 1
# on any failure.  Logs of failed boots stay in $PVP_CACHE/e2e-logs/.
set -uo pipefail

E2E=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$E2E/../.." && pwd)
PVP_CACHE=${PVP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pasid-vfio-pci}
export PVP_CACHE
KERNELS_SH=$TOP/scripts/kernels.sh
WORK=$PVP_CACHE/e2e
LOGROOT=$PVP_CACHE/e2e-logs
BOOT_TIMEOUT=${PVP_BOOT_TIMEOUT:-900}
# Kernel messages that fail a boot wherever they appear in the serial log.
BAD_RE='BUG:|WARNING:|Oops|Call Trace|general protection fault|Kernel panic|possible circular locking|possible recursive locking|inconsistent lock state|lockdep|INFO: task .* blocked|rcu_.* detected stalls|UBSAN:|KASAN:'
# Stock modules the guest needs; their dependencies are resolved from
# modinfo.  iommufd is taken when the kernel has it.
STOCK_MODS="vfio vfio_iommu_type1 vfio_pci_core vfio_pci igb nvme iommufd"
# cases/driverctl.sh: the igb VF driver, to compete for VFs
STOCK_MODS="$STOCK_MODS igbvf"

unset MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES

msg() { printf '%s\n' "e2e: $*" >&2; }
die() { msg "error: $*"; exit 2; }

# ---------------------------------------------------------------------------
# Host-side builds

# build_tools: every tests/e2e/*.c becomes a static guest binary in
# $WORK/bin (vfio-client.c -> vfio-client), rebuilt when its source or a
# header beside it (iommufd-uapi.h) changes.
build_tools() {
	local c out h newer
	mkdir -p "$WORK/bin"
	for c in "$E2E"/*.c; do
		out=$WORK/bin/$(basename "$c" .c)
		newer=
		for h in "$E2E"/*.h; do
			[ ! "$h" -nt "$out" ] || newer=1
		done
		if [ ! -x "$out" ] || [ "$c" -nt "$out" ] || [ -n "$newer" ]; then
			gcc -static -O2 -Wall -Wextra -Werror -pthread -o "$out.tmp" "$c" ||
				return 1
			mv "$out.tmp" "$out"
		fi
	done
}

# copy_tree <src> <dst>: a clean copy of a source tree (no .git, no objects)
copy_tree() {
	rm -rf "$2"
	mkdir -p "$2"
	tar -C "$1" --exclude=.git --exclude='*.ko' --exclude='*.o' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.cmd' --exclude='.build-*.log' \
		--exclude=Module.symvers --exclude=modules.order \
		-cf - . | tar -C "$2" -xf -
}

# build_module <tag> <dir>: the project module into <dir>/pasid-vfio-pci.ko.
# Built from a copy so the working tree is left alone.
build_module() {
	local tag=$1 w=$2
	copy_tree "$TOP" "$w/module"
	rm -rf "$w/module/tests"
	"$KERNELS_SH" build "$tag" "$w/module" >"$w/module.log" 2>&1 || return 1
	[ -f "$w/module/pasid-vfio-pci.ko" ]
}

build_fixture() {
	local tag=$1 w=$2
	copy_tree "$E2E/fixture" "$w/fixture"
	"$KERNELS_SH" build --strict "$tag" "$w/fixture" >"$w/fixture.log" 2>&1 &&
		[ -f "$w/fixture/pasid_fixture.ko" ]
}

# --- lifecycle test modules (cases/lifecycle.sh) ---------------------------
# cases/lifecycle.sh also needs pci-pf-stub (to tear down VFs igb left).
STOCK_MODS="$STOCK_MODS pci-pf-stub"
# build_testmods <tag> <dir>: tests/e2e/modules/ (pvp_squatter.ko,
# pvp_coop.ko, pvp_enabler.ko) into <dir>/modules.  pvp_coop links against
# pasid-vfio-pci's exports (KBUILD_EXTRA_SYMBOLS): its Module.symvers comes
# from the module build, on the host or, for a chroot build (7.3), from the
# chroot's copy.
build_testmods() {
	local tag=$1 w=$2 sv chroot
	copy_tree "$E2E/modules" "$w/modules"
	cp "$TOP/include/pasid_vfio_pci.h" "$w/modules/"
	# shellcheck source=/dev/null disable=SC2153 # CHROOT: from the env file
	chroot=$(. "$w/env" && echo "$CHROOT")
	for sv in "$w/module/Module.symvers" "${chroot:+$chroot/build/module/Module.symvers}" ""; do
		[ -n "$sv" ] && grep -qw pasid_vfio_pci_pasid_in_use "$sv" 2>/dev/null && break
	done
	if [ -z "$sv" ]; then
		echo "no Module.symvers exporting pasid_vfio_pci_pasid_in_use" >"$w/modules.log"
		return 1
	fi
	cp "$sv" "$w/modules/pvp.symvers"
	"$KERNELS_SH" build --strict "$tag" "$w/modules" >"$w/modules.log" 2>&1 &&
		[ -f "$w/modules/pvp_squatter.ko" ] && [ -f "$w/modules/pvp_coop.ko" ] &&
		[ -f "$w/modules/pvp_enabler.ko" ]
}
# --- end lifecycle test modules ---------------------------------------------

# --- admin tools and VMM (cases/driverctl.sh, cases/qemu.sh) ----------------
# build_userland: what cases/driverctl.sh and cases/qemu.sh run beyond
# busybox, in $WORK/userland (a tree copied over the initramfs): the host's
# bash and bookworm's driverctl with its udev rule and unit (the driverctl
# package, which scripts/ci-deps.sh installs), udevadm/systemd-udevd from
# bookworm's udev package (unpacked by kernels.sh: the host has no udev),
# the project's udev rule, the host's qemu-system-x86_64 with SeaBIOS, and
# the shared libraries these load.  Output in
# $WORK/userland.log; the case FAILs when something is missing.
build_userland() {
	local u=$WORK/userland udev f lib libs
	rm -rf "$u"
	mkdir -p "$u/bin" "$u/usr/bin" "$u/usr/sbin" "$u/lib/udev/rules.d" \
		"$u/lib/systemd/system" "$u/usr/share/pasid-vfio-pci"
	for f in /bin/bash /usr/sbin/driverctl /lib/udev/rules.d/05-driverctl.rules \
		/lib/systemd/system/driverctl@.service; do
		[ -f "$f" ] || { echo "$f missing (apt install driverctl: scripts/ci-deps.sh)"; return 1; }
	done
	udev=$("$KERNELS_SH" unpack udev) || return 1
	cp /bin/bash "$u/bin/"
	cp "$udev/bin/udevadm" "$u/bin/"
	ln -s /bin/udevadm "$u/lib/systemd/systemd-udevd"
	ln -s /bin/busybox "$u/usr/bin/readlink"	# the project rule's PROGRAM
	cp /usr/sbin/driverctl "$u/usr/sbin/"
	cp /lib/udev/rules.d/05-driverctl.rules "$u/lib/udev/rules.d/"
	cp /lib/systemd/system/driverctl@.service "$u/lib/systemd/system/"
	cp "$TOP/udev/90-pasid-vfio-pci.rules" "$u/usr/share/pasid-vfio-pci/"
	# cases/qemu.sh: the host's QEMU (bookworm-backports) as the VMM
	local qemu
	qemu=$(command -v qemu-system-x86_64) || { echo "qemu-system-x86_64 missing"; return 1; }
	cp "$qemu" "$u/usr/bin/qemu-system-x86_64"
	mkdir -p "$u/usr/share/seabios" "$u/usr/share/qemu"
	cp /usr/share/seabios/bios-256k.bin "$u/usr/share/seabios/"
	cp /usr/share/qemu/kvmvapic.bin "$u/usr/share/qemu/"	# q35 loads it
	libs=$(ldd /bin/bash "$udev/bin/udevadm" "$qemu")
	if grep 'not found' <<<"$libs"; then
		return 1
	fi
	for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/lib.*ld-linux/ { print $1 }' <<<"$libs" | sort -u); do
		mkdir -p "$u$(dirname "$lib")"
		cp -L "$lib" "$u$lib"
	done
}
# --- end admin tools and VMM -------------------------------------------------

# --- libvirt (cases/libvirt.sh) ----------------------------------------------
# build_libvirt: bookworm-backports' libvirt 11 for cases/libvirt.sh in
# $WORK/libvirt, a tree build_initramfs copies over the root after the
# userland (whose QEMU libvirt drives): kernels.sh unpack-closure downloads
# LIBVIRT_PKGS and their dependency closure and unpacks them into one tree
# (nothing is installed); from it libvirtd (the monolithic daemon: Debian
# ships no virtqemud), its qemu and nodedev drivers, virsh, mdevctl (the
# nodedev driver runs it), dmidecode (libvirtd runs it), libvirt's data
# and default configs, and every library these load, as resolved in that
# tree.  A library the userland already has (the host's, from the same
# bookworm: libc among them) stays the userland's.  Output in
# $WORK/libvirt.log.
LIBVIRT_PKGS="libvirt-daemon-driver-qemu libvirt-daemon libvirt-daemon-driver-nodedev libvirt-clients libvirt0"
build_libvirt() {
	local t l=$WORK/libvirt lib libs
	# shellcheck disable=SC2086 # a list of names
	t=$("$KERNELS_SH" unpack-closure $LIBVIRT_PKGS) || return 1
	rm -rf "$l"
	mkdir -p "$l/usr/sbin" "$l/usr/bin" "$l/usr/lib/x86_64-linux-gnu" \
		"$l/lib/x86_64-linux-gnu" "$l/usr/share" "$l/etc"
	cp "$t/usr/sbin/libvirtd" "$l/usr/sbin/" || return 1
	cp "$t/usr/bin/virsh" "$t/usr/bin/mdevctl" "$l/usr/bin/" || return 1
	cp "$t/usr/sbin/dmidecode" "$l/usr/sbin/" || return 1	# libvirtd's sysinfo
	cp -a "$t/usr/lib/x86_64-linux-gnu/libvirt" "$l/usr/lib/x86_64-linux-gnu/"
	cp -a "$t/usr/share/libvirt" "$l/usr/share/"
	cp -a "$t/etc/libvirt" "$l/etc/"
	libs=$(LD_LIBRARY_PATH=$t/usr/lib/x86_64-linux-gnu:$t/lib/x86_64-linux-gnu \
		ldd "$l/usr/sbin/libvirtd" "$l/usr/bin/virsh" \
		"$l"/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/*.so)
	if grep 'not found' <<<"$libs"; then
		return 1
	fi
	for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 }' <<<"$libs" | sort -u); do
		case $lib in "$t"/*) ;; *) echo "$lib: resolved outside the packages"; return 1 ;; esac
		cp -L "$lib" "$l/lib/x86_64-linux-gnu/"
	done
	echo "libvirt: $(head -n 1 "$t/../.stamp"), $(du -sh "$l" | cut -f1) in $l"
}
# libvirt_initramfs <root>: the tree into an initramfs root; libraries the
# root has stay
libvirt_initramfs() {
	[ -d "$WORK/libvirt" ] || return 0
	cp -a -n "$WORK/libvirt/." "$1/"
}
# --- end libvirt -------------------------------------------------------------

# --- nested guest (cases/nested.sh) ------------------------------------------
# build_nested: what the rig guest's QEMU boots as the nested guest, in
# $WORK/userland/nested (copied over the initramfs with the rest of the
# userland): the kernel nested/build.sh builds from Debian's source, an
# initramfs of busybox, the host's lspci (pciutils) with its libraries
# and nested/init; and QEMU's option ROMs that "-kernel vmlinux" loads
# (PVH).  Output in $WORK/nested.log.
build_nested() {
	local u=$WORK/userland n=$WORK/nested vmlinux lib f
	vmlinux=$("$E2E/nested/build.sh") || return 1
	rm -rf "$n"
	mkdir -p "$n/root/bin" "$n/root/usr/bin" "$n/root/sys" "$n/root/dev"
	cp /bin/busybox "$n/root/bin/"
	f=$(command -v lspci) || { echo "lspci missing (pciutils: scripts/ci-deps.sh)"; return 1; }
	cp "$f" "$n/root/usr/bin/lspci"
	for lib in $(ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/lib.*ld-linux/ { print $1 }'); do
		mkdir -p "$n/root$(dirname "$lib")"
		cp -L "$lib" "$n/root$lib"
	done
	cp "$E2E/nested/init" "$n/root/init"
	chmod +x "$n/root/init"
	(cd "$n/root" && find . | cpio -o -H newc --quiet) >"$n/initramfs.cpio" || return 1
	mkdir -p "$u/nested" "$u/usr/share/qemu"
	cp "$vmlinux" "$u/nested/vmlinux"
	cp "$n/initramfs.cpio" "$u/nested/initramfs.cpio"
	for f in pvh.bin linuxboot_dma.bin; do
		cp "/usr/share/qemu/$f" "$u/usr/share/qemu/" || return 1
	done
}
# --- end nested guest --------------------------------------------------------

# --- QEMU 11 (cases/qemu11.sh) -----------------------------------------------
# build_qemu11: trixie-backports' QEMU 11.1 (kernels.sh qemu11: the binary,
# its firmware and every library it links, trixie's ld.so and libc among
# them, in a tree that runs from anywhere) into $WORK/qemu11.  About 67 MB:
# build_initramfs adds it, as /opt/qemu11, only for a kernel with
# CONFIG_IOMMUFD, the only kind the case runs on.  Output in
# $WORK/qemu11.log.
build_qemu11() {
	local t
	t=$("$KERNELS_SH" qemu11) || return 1
	rm -rf "$WORK/qemu11"
	cp -a "$t" "$WORK/qemu11"
}
# qemu11_initramfs <root>: the tree into an initramfs root, where the
# kernel (KCONFIG from build_initramfs' env) has iommufd
qemu11_initramfs() {
	[ -d "$WORK/qemu11" ] && grep -qE '^CONFIG_IOMMUFD=(y|m)$' "$KCONFIG" || return 0
	mkdir -p "$1/opt"
	cp -a "$WORK/qemu11" "$1/opt/qemu11"
}
# --- end QEMU 11 -------------------------------------------------------------

# ---------------------------------------------------------------------------
# initramfs

# mod_closure <moddir> <names...>: paths of the modules and their
# dependencies (modinfo "depends"), one per line, dependencies first.
mod_closure() {
	local moddir=$1 f n
	shift
	declare -A path=() seen=()
	while read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		path[${n//-/_}]=$f
	done < <(find "$moddir/kernel" -name '*.ko*')
	visit() {
		local m=${1//-/_} d
		[ -n "${seen[$m]:-}" ] && return 0
		seen[$m]=1
		[ -n "${path[$m]:-}" ] || return 0	# built in, or absent
		for d in $(modinfo -F depends "${path[$m]}" | tr ',' ' '); do
			visit "$d"
		done
		echo "${path[$m]}"
	}
	for n in "$@"; do visit "$n"; done
}

# build_initramfs <tag> <dir>: $dir/initramfs.cpio
build_initramfs() {
	local tag=$1 w=$2 f rel r
	r=$w/initramfs
	# shellcheck source=/dev/null
	. "$w/env"
	local moddir=$MODROOT/lib/modules/$KVER
	rm -rf "$r"
	mkdir -p "$r"/{bin,sbin,dev,proc,sys,tmp,run,root,etc} "$r/lib/modules/$KVER/extra"
	cp /bin/busybox "$r/bin/busybox"
	for f in $(/bin/busybox --list); do
		[ "$f" = busybox ] || ln -s busybox "$r/bin/$f"
	done
	# shellcheck disable=SC2086 # a list of names
	for f in $(mod_closure "$moddir" $STOCK_MODS); do
		rel=${f#"$moddir"/}
		mkdir -p "$r/lib/modules/$KVER/$(dirname "$rel")"
		case $f in
		*.ko.xz) xz -dc "$f" >"$r/lib/modules/$KVER/${rel%.xz}" ;;
		*.ko.zst) zstd -qdc "$f" >"$r/lib/modules/$KVER/${rel%.zst}" ;;
		*.ko.gz) gzip -dc "$f" >"$r/lib/modules/$KVER/${rel%.gz}" ;;
		*) cp "$f" "$r/lib/modules/$KVER/$rel" ;;
		esac
	done
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		[ -f "$moddir/$f" ] && cp "$moddir/$f" "$r/lib/modules/$KVER/"
	done
	[ -f "$w/module/pasid-vfio-pci.ko" ] &&
		cp "$w/module/pasid-vfio-pci.ko" "$r/lib/modules/$KVER/extra/"
	[ -f "$w/fixture/pasid_fixture.ko" ] &&
		cp "$w/fixture/pasid_fixture.ko" "$r/lib/modules/$KVER/extra/"
	cp "$w"/modules/*.ko "$r/lib/modules/$KVER/extra/" 2>/dev/null	# lifecycle test modules
	depmod -b "$r" "$KVER" || return 1
	cp "$WORK"/bin/* "$r/bin/"
	[ ! -d "$WORK/userland" ] || cp -a --remove-destination "$WORK/userland/." "$r/"
	libvirt_initramfs "$r"	# after the userland: its libraries win
	qemu11_initramfs "$r"
	cp "$E2E/guest.sh" "$r/guest.sh"
	mkdir -p "$r/cases"
	cp "$E2E"/cases/*.sh "$r/cases/" 2>/dev/null || true
	cat >"$r/init" <<-'EOF'
		#!/bin/sh
		mount -t proc proc /proc
		mount -t sysfs sysfs /sys
		mount -t devtmpfs devtmpfs /dev
		mount -t tmpfs tmpfs /tmp
		sh /guest.sh
		echo "PVP-E2E-DONE rc=$?"
		sync
		poweroff -f
	EOF
	chmod +x "$r/init" "$r/guest.sh"
	(cd "$r" && find . | cpio -o -H newc --quiet) >"$w/initramfs.cpio"
}

# ---------------------------------------------------------------------------
# QEMU

# Every boot: no zeroing of fresh allocations (as RHEL's kernels, unlike
# Debian's), and freed/fresh 4 KiB kmalloc objects poisoned, where vfio's
# vconfig comes from: memory vfio never initialised reads as poison, not 0
# (case e's head placement checks it).
BOOT_ARGS="init_on_alloc=0 slub_debug=P,kmalloc-4k,kmalloc-cg-4k"
# The cases read the kernel log since a mark by line count (dmark/dsince):
# a log that wraps would shift them, so it must hold a whole boot's.
BOOT_ARGS="$BOOT_ARGS log_buf_len=16M"
# Under TCG on a loaded host, the early IO-APIC timer check can time out
# and panic ("timer doesn't work through Interrupt-remapped IO-APIC", seen
# on 7.3): skip it, as cloud images do.
BOOT_ARGS="$BOOT_ARGS no_timer_check"
# pvp.cases= of the boots (run_kernel sets it per kernel)
BOOT_CASES=${PVP_CASES:-all}

# boot <tag> <mode> <dir> <log> [extra kernel args]: returns QEMU's status
boot() {
	local tag=$1 mode=$2 w=$3 log=$4 extra=${5:-} iommu
	# shellcheck source=/dev/null
	. "$w/env"
	case $mode in
	default) iommu=intel-iommu,intremap=on,caching-mode=on ;;
	scalable) iommu=intel-iommu,intremap=on,caching-mode=on,x-scalable-mode=on,x-pasid-mode=on ;;
	*) die "unknown mode $mode" ;;
	esac
	# One scratch namespace per kernel's work directory: QEMU locks it, and
	# a run of another kernel (or another cache's) may boot meanwhile.
	[ -f "$w/nvme.img" ] || truncate -s 1M "$w/nvme.img"
	timeout --foreground -k 5 "$BOOT_TIMEOUT" qemu-system-x86_64 \
		-accel tcg -cpu max -smp 1 -machine q35 -m 1024 -nodefaults \
		-display none -serial stdio -no-reboot \
		-kernel "$VMLINUZ" -initrd "$w/initramfs.cpio" \
		-append "console=ttyS0 intel_iommu=on panic=-1 mitigations=off $BOOT_ARGS pvp.kernel=$tag pvp.mode=$mode pvp.cases=$BOOT_CASES ${PVP_APPEND:-} $extra" \
		-device "$iommu" \
		-device pcie-root-port,id=rp1,chassis=1,slot=1 -device igb,bus=rp1 \
		-device pcie-root-port,id=rp2,chassis=2,slot=2 -device nvme-subsys,id=s0 \
		-drive if=none,id=d0,file="$w/nvme.img",format=raw \
		-device nvme,bus=rp2,serial=pvp,subsys=s0,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2 \
		-device nvme-ns,drive=d0,nsid=1 \
		</dev/null >"$log" 2>&1
}

# ---------------------------------------------------------------------------
# One kernel: fetch, build, boot in each mode, collect results

TOTAL_P=0 TOTAL_F=0 TOTAL_S=0
RUN_LOGS=

# result <PASS|FAIL|SKIP> <line>: echo and count
result() {
	echo "$2"
	case $1 in
	PASS) KP=$((KP + 1)) ;;
	FAIL) KF=$((KF + 1)) ;;
	SKIP) KS=$((KS + 1)) ;;
	esac
}

# PVP_ALONE=1: every case in a boot of its own (each letter of guest.sh and
# each cases/<name>.sh but bench), in the IOMMU modes it runs in: a case
# that calls "in_modes <name> <karg> <modes>" only there, the others in
# every mode.  Boot logs: <mode>-<case>.log.
alone_cases() {
	local f n
	echo s a b c d e f g
	for f in "$E2E"/cases/*.sh; do
		n=$(basename "$f" .sh)
		[ "$n" = bench ] || echo "$n"
	done
}
# alone_runs <case> <mode>: 0 when <case> runs in <mode>
alone_runs() {
	local f=$E2E/cases/$1.sh m
	[ -f "$f" ] || return 0
	m=$(sed -n "s/.*in_modes $1 [a-z_]* \([a-z,]*\).*/\1/p" "$f" | head -n 1)
	[ -z "$m" ] || echo ",$m," | grep -q ",$2,"
}

# host_part <tag> <name> <status> <what>: the line of a part of the guest's
# userland built once per run (status "ok", or why not)
host_part() {
	if [ "$3" = ok ]; then
		result PASS "PASS $1/host/$2"
	else
		result FAIL "FAIL $1/host/$2: $4: $3"
	fi
}

# Kernels built from source (7.3-iommufd: about 20 minutes cold at -j2)
# build in the background, their compiler at the lowest CPU priority, while
# the other kernels boot: a TCG guest (-smp 1) keeps one of the two cores
# busy and leaves the other idle.  (make check starts it earlier still.)
# bg_fetch <tag> starts its fetch (a build unless the cache has it);
# bg_wait <tag> waits for it (0 when there was none, or it succeeded).
declare -A BG_PID=()
bg_fetch() {
	msg "$1: fetched in the background, built there unless cached, while the other kernels boot (log: $WORK/$1.fetch-bg.log)"
	# a process group of its own, for bg_kill
	PVP_BUILD_NICE=19 setsid "$KERNELS_SH" fetch "$1" >/dev/null 2>"$WORK/$1.fetch-bg.log" &
	BG_PID[$1]=$!
}
bg_wait() {
	[ -n "${BG_PID[$1]:-}" ] || return 0
	local t0=$SECONDS rc=0
	wait "${BG_PID[$1]}" || rc=$?
	unset "BG_PID[$1]"
	msg "$1: waited $((SECONDS - t0)) s for its background build (exit $rc)"
	return $rc
}
bg_kill() {
	local p
	for p in "${BG_PID[@]}"; do
		kill -- "-$p" 2>/dev/null
	done
}

run_kernel() {
	local tag=$1 w envf mode t0 log rc line have_mod=1
	w=$WORK/$tag
	KP=0 KF=0 KS=0
	t0=$SECONDS
	mkdir -p "$w"
	if ! bg_wait "$tag"; then
		result FAIL "FAIL $tag/host/fetch: the background build failed: $(tail -n 1 "$WORK/$tag.fetch-bg.log") (log: $WORK/$tag.fetch-bg.log)"
		summary "$tag" "$t0"
		return
	fi
	if ! envf=$("$KERNELS_SH" fetch "$tag" 2>"$w/fetch.log"); then
		result FAIL "FAIL $tag/host/fetch: kernels.sh fetch failed: $(tail -n 1 "$w/fetch.log")"
		summary "$tag" "$t0"
		return
	fi
	cp "$envf" "$w/env"
	if build_module "$tag" "$w"; then
		result PASS "PASS $tag/host/build-module"
	else
		have_mod=0
		rm -f "$w/module/pasid-vfio-pci.ko"
		result FAIL "FAIL $tag/host/build-module: see $w/module.log ($(grep -m1 -E 'error|Error' "$w/module.log" || tail -n 1 "$w/module.log"))"
	fi
	if build_fixture "$tag" "$w"; then
		result PASS "PASS $tag/host/build-fixture"
	else
		result FAIL "FAIL $tag/host/build-fixture: see $w/fixture.log"
		summary "$tag" "$t0"
		return
	fi
	# lifecycle test modules: cases/lifecycle.sh FAILs what needs them
	if build_testmods "$tag" "$w"; then
		result PASS "PASS $tag/host/build-testmods"
	else
		rm -f "$w"/modules/*.ko
		result FAIL "FAIL $tag/host/build-testmods: see $w/modules.log ($(grep -m1 -E 'error|ERROR|warning' "$w/modules.log" || tail -n 1 "$w/modules.log"))"
	fi
	host_part "$tag" userland "$USERLAND" "driverctl, udev, bash or QEMU for the guest"
	host_part "$tag" nested "$NESTED" "the nested guest's kernel or initramfs (cases/nested.sh)"
	host_part "$tag" qemu11 "$QEMU11" "trixie-backports' QEMU 11 for the guest (cases/qemu11.sh)"
	host_part "$tag" libvirt "$LIBVIRT" "bookworm-backports' libvirt for the guest (cases/libvirt.sh)"
	if ! build_initramfs "$tag" "$w" >"$w/initramfs.log" 2>&1; then
		result FAIL "FAIL $tag/host/initramfs: see $w/initramfs.log"
		summary "$tag" "$t0"
		return
	fi
	# A PREEMPT_RT kernel runs the PF guard's cases (its ftrace callback
	# and locks are what RT changes), in the mode where the guard acts.
	local modes=${PVP_MODES:-default scalable}
	BOOT_CASES=${PVP_CASES:-all}
	case $tag in
	*-rt)
		modes=${PVP_MODES:-scalable}
		BOOT_CASES=${PVP_CASES:-g,lifecycle}
		msg "$tag: PREEMPT_RT, cases $BOOT_CASES in mode(s) $modes"
		;;
	esac
	local sets=all set fs
	if [ -n "${PVP_ALONE:-}" ]; then
		if [ "$BOOT_CASES" = all ]; then
			sets=$(alone_cases)
		else
			sets=$(echo "$BOOT_CASES" | tr , ' ')
		fi
	fi
	for mode in $modes; do
		for set in $sets; do
			fs=
			if [ "$set" != all ]; then
				alone_runs "$set" "$mode" || continue
				BOOT_CASES=$set fs=-$set
			fi
			local tb=$SECONDS
			log=$w/$mode$fs.log
			boot "$tag" "$mode" "$w" "$log"
			rc=$?
			tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
			local bad=0 done_line
			done_line=$(grep -m1 '^PVP-E2E-DONE' "$log")
			# Results: the guest repeats them after "=== results ===" at the end;
			# without it (hang, panic) take the live lines.
			if [ -n "$done_line" ] && grep -q '^=== results ===' "$log"; then
				sed -n '/^=== results ===/,/^=== end results ===/p' "$log"
			else
				cat "$log"
			fi | grep -E '^(PASS|FAIL|SKIP) ' | while read -r line; do echo "$line"; done >"$w/$mode$fs.results"
			while read -r line; do
				result "${line%% *}" "$line"
			done <"$w/$mode$fs.results"
			if [ -z "$done_line" ]; then
				result FAIL "FAIL $tag/$mode/boot$fs: no completion marker (qemu exit $rc$([ $rc = 124 ] && echo ", timeout ${BOOT_TIMEOUT}s"))"
				bad=1
			elif ! grep -q '^=== end results ===' "$log" ||
				! echo "$done_line" | grep -qE 'rc=[01]$'; then
				# guest.sh exits 0 or 1; anything else means it died part way
				result FAIL "FAIL $tag/$mode/guest-script$fs: died before the end ($done_line)"
				bad=1
			elif grep -qE "$BAD_RE" "$log"; then
				result FAIL "FAIL $tag/$mode/kernel-log$fs: $(grep -m1 -E "$BAD_RE" "$log")"
				bad=1
			else
				result PASS "PASS $tag/$mode/kernel-log$fs"
			fi
			grep -q '^FAIL' "$w/$mode$fs.results" && bad=1
			msg "$tag/$mode${fs:+ (case ${fs#-} alone)}: boot took $((SECONDS - tb)) s"
			if [ $bad = 1 ]; then
				mkdir -p "$LOGDIR"
				cp "$log" "$LOGDIR/$tag-$mode$fs.log"
				RUN_LOGS="$RUN_LOGS $LOGDIR/$tag-$mode$fs.log"
			fi
		done
	done
	[ $have_mod = 1 ] || msg "$tag: module did not build; module cases ran without it"
	summary "$tag" "$t0"
}

summary() {
	echo "kernel $1: $KP passed, $KF failed, $KS skipped ($((SECONDS - $2)) s)"
	TOTAL_P=$((TOTAL_P + KP)) TOTAL_F=$((TOTAL_F + KF)) TOTAL_S=$((TOTAL_S + KS))
}

# ---------------------------------------------------------------------------
# --demo: one kernel, one boot, the guest narrates

demo() {
	local tag=${1:-6.12} w envf
	w=$WORK/$tag
	echo "== pasid-vfio-pci demo on Debian kernel $tag (QEMU TCG guest, about 2 min)"
	envf=$("$KERNELS_SH" fetch "$tag") || die "kernels.sh fetch $tag failed"
	mkdir -p "$w"
	cp "$envf" "$w/env"
	build_tools || die "guest tools build failed"
	build_module "$tag" "$w" || die "module build failed, see $w/module.log"
	build_fixture "$tag" "$w" || die "fixture build failed, see $w/fixture.log"
	if ! build_userland >"$WORK/userland.log" 2>&1; then
		echo "== (no QEMU step: see $WORK/userland.log)"
	elif ! build_nested >"$WORK/nested.log" 2>&1; then
		echo "== (no nested guest: see $WORK/nested.log)"
	fi
	build_initramfs "$tag" "$w" >"$w/initramfs.log" 2>&1 || die "initramfs failed, see $w/initramfs.log"
	echo "== booting; lines below come from the guest"
	PVP_MODES=default
	boot "$tag" default "$w" "$w/demo.log" "pvp.demo=1 quiet"
	tr -d '\r' <"$w/demo.log" | sed -n '/^=== demo ===/,/^=== end demo ===/p' | sed '1d;$d'
	if ! grep -q '^PVP-E2E-DONE' "$w/demo.log"; then
		echo "== the guest did not finish; full log: $w/demo.log"
		return 1
	fi
	echo "== done (full serial log: $w/demo.log)"
}

# ---------------------------------------------------------------------------

# Run a private copy of kernels.sh: bash reads a script as it goes, and an
# edit of the original during a long run would break it mid-way.
snapshot_kernels_sh() {
	mkdir -p "$WORK"
	cp "$TOP/scripts/kernels.sh" "$WORK/kernels.sh"
	KERNELS_SH=$WORK/kernels.sh
}

if [ "${1:-}" = --demo ]; then
	snapshot_kernels_sh
	demo "${2:-6.12}"
	exit $?
fi
[ $# -eq 0 ] || { sed -n '4,17s/^# \{0,1\}//p' "$0" >&2; exit 2; }

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing"
[ -x /bin/busybox ] || die "busybox-static missing"
snapshot_kernels_sh
T0=$SECONDS
LOGDIR=$LOGROOT/$(date +%Y%m%d-%H%M%S)
build_tools || die "guest tools build failed"
USERLAND=ok
if ! build_userland >"$WORK/userland.log" 2>&1; then
	USERLAND="see $WORK/userland.log ($(tail -n 1 "$WORK/userland.log"))"
	rm -rf "$WORK/userland"
fi
NESTED=ok
if [ "$USERLAND" != ok ]; then
	NESTED="no userland"
elif ! build_nested >"$WORK/nested.log" 2>&1; then
	NESTED="see $WORK/nested.log ($(tail -n 1 "$WORK/nested.log"))"
	rm -rf "$WORK/userland/nested"
fi
QEMU11=ok
if ! build_qemu11 >"$WORK/qemu11.log" 2>&1; then
	QEMU11="see $WORK/qemu11.log ($(tail -n 1 "$WORK/qemu11.log"))"
	rm -rf "$WORK/qemu11"
fi
LIBVIRT=ok
if ! build_libvirt >"$WORK/libvirt.log" 2>&1; then
	LIBVIRT="see $WORK/libvirt.log ($(tail -n 1 "$WORK/libvirt.log"))"
	rm -rf "$WORK/libvirt"
fi
# 7.3-iommufd (built here from Debian's source and config: no Debian
# kernel has iommufd) comes last, so that its build overlaps the others' boots.
KERNELS=${PVP_KERNELS:-6.1 6.12 7.3 6.12-rt 7.3-iommufd}
trap bg_kill EXIT
for tag in $KERNELS; do
	case $tag in *-iommufd) bg_fetch "$tag" ;; esac
done
for tag in $KERNELS; do
	run_kernel "$tag"
done
[ -z "$RUN_LOGS" ] || echo "logs of failed boots:$RUN_LOGS"
echo "e2e took $((SECONDS - T0)) s"
echo "$TOTAL_P passed, $TOTAL_F failed, $TOTAL_S skipped"
[ "$TOTAL_F" -eq 0 ]
