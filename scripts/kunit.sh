#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the KUnit suites of kunit/ against src/ecap.c and src/hold.c inside
# Debian's linux-source tree, and print one line per suite:
#   PASS kunit/<suite> (<n> cases)     FAIL kunit/<suite>: <why>
#
#   scripts/kunit.sh [--um|--debug|--all] [kunit.py run options...]
#   e.g. scripts/kunit.sh 'pasid_vfio_pci_model'
#
#   --um     UML (the quick run)
#   --debug  x86_64 under QEMU (TCG) with KASAN, lockdep (PROVE_LOCKING),
#            kmemleak, UBSAN and debug objects (kunit/debug.kunitconfig):
#              PASS kunit-debug/<suite> (...)
#              PASS kunit-debug/kasan-lockdep-kmemleak: no findings
#              FAIL kunit-debug/kasan-lockdep-kmemleak: <first finding>
#   --all    both (the default)
#
# Environment:
#   PVP_CACHE          cache root (default ${XDG_CACHE_HOME:-~/.cache}/pasid-vfio-pci)
#   PVP_KUNIT_MODE     um, debug or all: as the options above
#   PVP_KUNIT_SRC      6.1 (default) or 6.12: which linux-source-<ver> to use
#   PVP_KUNIT_JOBS     make jobs (default 2)
#   PVP_KUNIT_CCACHE   auto (default: use ccache if installed), 1 or 0
#   PVP_KUNIT_SEED     seed of the pasid_vfio_pci_model test (default: built in)
#   PVP_KUNIT_ACCESSES accesses of the pasid_vfio_pci_model test
#   PVP_KUNIT_TIMEOUT  seconds for the x86_64 guest (default 600)
#   PVP_KUNIT_VERBOSE  1: show kunit.py's output as it runs
#
# The tree is unpacked once into $PVP_CACHE/src/linux-source-<ver> and wired
# idempotently: drivers/misc/pasid_vfio_pci/ holds links to kunit/* and
# src/ecap.[ch], src/hold.[ch]; drivers/misc/{Kconfig,Makefile} get one line
# each.  The build directories are $PVP_CACHE/kunit/<ver>-um and
# $PVP_CACHE/kunit/<ver>-x86_64-debug; logs and JSON stay there (kunit.log:
# kunit.py's output, test.log: the guest's whole console).
#
# The debug guest runs the suites at boot like any KUnit kernel, then, instead
# of powering off, starts a busybox initramfs (/bin/busybox, busybox-static)
# that waits until the suites' allocations are older than kmemleak's minimum
# age (5 s), triggers two kmemleak scans, prints the report, the taint flags
# and lockdep's debug_locks, and reboots (QEMU exits).  Every finding fails:
# KUnit failures (UBSAN also fails the test that triggered it), and in the
# console: BUG: (KASAN's reports among them), WARNING: (lockdep's splats
# among them), Oops, UBSAN:, ODEBUG:, kernel panics, RCU stalls, a lockdep
# that turned itself off, an M/B/D/W/L taint, a missing leak report, and
# each unreferenced object in kmemleak's report that a test case allocated
# or that has KUnit or pvp_ code in its backtrace (6.1 leaks some ACPI
# kmem_caches at boot: those are listed, not counted).  Lockdep reports its
# first splat only and turns off after a KASAN report.
set -euo pipefail

PVP_CACHE=${PVP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pasid-vfio-pci}
VER=${PVP_KUNIT_SRC:-6.1}
JOBS=${PVP_KUNIT_JOBS:-2}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TREE=$PVP_CACHE/src/linux-source-$VER
LINKDIR=drivers/misc/pasid_vfio_pci
MODE=${PVP_KUNIT_MODE:-all}
TIMEOUT=${PVP_KUNIT_TIMEOUT:-600}

msg() { printf '%s\n' "kunit.sh: $*" >&2; }
die() { msg "error: $*"; exit 1; }

while [ "$#" -gt 0 ]; do
	case $1 in
	--um) MODE=um ;;
	--debug) MODE=debug ;;
	--all) MODE=all ;;
	*) break ;;
	esac
	shift
done
case $VER in
6.1 | 6.12) ;;
*) die "PVP_KUNIT_SRC=$VER: only 6.1 and 6.12 are supported" ;;
esac
case $MODE in
um | debug | all) ;;
*) die "PVP_KUNIT_MODE=$MODE: must be um, debug or all" ;;
esac

# ---------------------------------------------------------------------------
# The kernel tree

unpack_tree() {
	local tarball=/usr/src/linux-source-$VER.tar.xz tmp

	[ -f "$TREE/tools/testing/kunit/kunit.py" ] && return
	if [ ! -f "$tarball" ]; then
		msg "installing linux-source-$VER"
		[ "$(id -u)" = 0 ] || die "$tarball is missing; install linux-source-$VER"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "linux-source-$VER" >&2 ||
			die "apt-get install linux-source-$VER failed"
	fi
	msg "unpacking $tarball"
	mkdir -p "$PVP_CACHE/src"
	tmp=$(mktemp -d "$PVP_CACHE/src/.unpack.XXXXXX")
	tar -C "$tmp" -xf "$tarball"
	rm -rf "$TREE"
	mv "$tmp/linux-source-$VER" "$TREE"
	rmdir "$tmp"
}

# Link kunit/ and the model into the tree; rerunning changes nothing.
wire_tree() {
	local d=$TREE/$LINKDIR f

	rm -rf "$d"
	mkdir -p "$d"
	for f in "$REPO"/kunit/Kconfig "$REPO"/kunit/Makefile \
		 "$REPO"/kunit/*.[ch] "$REPO"/src/ecap.c "$REPO"/src/ecap.h \
		 "$REPO"/src/hold.c "$REPO"/src/hold.h; do
		[ -e "$f" ] || die "missing $f"
		ln -s "$f" "$d/${f##*/}"
	done
	if ! grep -q "^source \"$LINKDIR/Kconfig\"" "$TREE/drivers/misc/Kconfig"; then
		# inside the "Misc devices" menu, before its endmenu
		sed -i "\$s|^endmenu\$|source \"$LINKDIR/Kconfig\"\\nendmenu|" \
			"$TREE/drivers/misc/Kconfig"
		grep -q "^source \"$LINKDIR/Kconfig\"" "$TREE/drivers/misc/Kconfig" ||
			die "could not add the source line to drivers/misc/Kconfig"
	fi
	grep -q "pasid_vfio_pci/" "$TREE/drivers/misc/Makefile" ||
		echo "obj-\$(CONFIG_PASID_VFIO_PCI_KUNIT_TEST)	+= pasid_vfio_pci/" \
			>>"$TREE/drivers/misc/Makefile"
}

# ---------------------------------------------------------------------------
# Results

# Print the per-suite lines from kunit.py's JSON; fail on any failure, on a
# suite of kunit/ that did not run and on no test at all.
#   report <prefix> <json> [kunit.py arguments...]
report() {
	local prefix=$1 json=$2 suites=()

	# With a filter (arguments for kunit.py), only what ran is reported
	[ "$#" -gt 2 ] || mapfile -t suites < <(sed -n \
		's/^[[:space:]]*\.name = "\(pasid_vfio_pci_[a-z0-9_]*\)",$/\1/p' \
		"$REPO"/kunit/*.c | sort -u)
	python3 - "$prefix" "$json" "${suites[@]}" <<-'EOF'
		import json, sys

		def cases(group):
		    """Leaf cases: parameterised cases count once per parameter."""
		    out = list(group.get("test_cases", []))
		    for sub in group.get("sub_groups", []):
		        out += cases(sub)
		    return out

		def bad(c):
		    return c["status"] not in ("PASS", "SKIP")

		p = sys.argv[1]
		try:
		    with open(sys.argv[2]) as f:
		        top = json.load(f)
		except (OSError, ValueError) as e:
		    print(f"FAIL {p}/json: {e}")
		    sys.exit(1)
		want = sys.argv[3:]
		seen = {g["name"]: g for g in top.get("sub_groups", [])}
		rc = 0
		for name in sorted(set(want) | set(seen)):
		    g = seen.get(name)
		    if g is None:
		        print(f"FAIL {p}/{name}: did not run")
		        rc = 1
		        continue
		    top_cases = g.get("test_cases", []) + g.get("sub_groups", [])
		    leaves = cases(g)
		    failed = [c["name"] for c in leaves if bad(c)]
		    failed += [s["name"] for s in g.get("sub_groups", [])
		               if not s.get("test_cases") and not s.get("sub_groups")]
		    skipped = [c["name"] for c in leaves if c["status"] == "SKIP"]
		    if failed or not leaves:
		        why = ", ".join(failed[:8]) or "no test cases"
		        if len(failed) > 8:
		            why += f", ... ({len(failed)} failed)"
		        print(f"FAIL {p}/{name}: {why}")
		        rc = 1
		    else:
		        extra = f", {len(skipped)} skipped" if skipped else ""
		        print(f"PASS {p}/{name} ({len(top_cases)} cases, "
		              f"{len(leaves)} with parameters{extra})")
		if not seen:
		    print(f"FAIL {p}: no test ran")
		    rc = 1
		sys.exit(rc)
	EOF
}

# Scan the debug guest's console (test.log) for the findings of KASAN,
# lockdep, kmemleak, UBSAN, debug objects and the kernel's own checks.
# Prints one PASS/FAIL line; every finding goes to stderr.
findings() {
	python3 - "$1" <<-'EOF'
		import re, sys

		NAME = "kunit-debug/kasan-lockdep-kmemleak"
		# Headers the kernel prints before a report and its stack dump
		KERNEL = re.compile(
		    r"(BUG: .*|WARNING: .*|UBSAN: .*|ODEBUG: .*|Oops.*"
		    r"|general protection fault.*|Kernel panic.*|kernel BUG at.*"
		    r"|INFO: trying to register non-static key.*"
		    r"|INFO: task .* blocked for more than.*"
		    r"|INFO: rcu_\w+ (self-)?detected stalls?.*"
		    r"|list_(add|del) corruption.*"
		    r"|kmemleak: .*(disabled|error|failed).*)")
		TIME = re.compile(r"^\[\s*\d+\.\d+\]\s?")
		# Frames of the allocator itself, skipped to name a leak's caller
		ALLOC = re.compile(r"kmemleak|kmalloc|kmem_cache|slab|alloc_|"
		                   r"_alloc|krealloc|kstrdup|kmemdup|kvmalloc|"
		                   r"__do_kmalloc|kzalloc")
		# A leak of the KUnit run: allocated by a test case's thread, or
		# with KUnit or the driver's code in its backtrace.  Others are
		# from boot (6.1 leaks ACPI's kmem_caches in start_kernel): listed,
		# not counted.
		OURS = re.compile(r'comm "kunit_try_catch"|\] (kunit_|pvp_|pasid_vfio)')
		# Taint bits that mean a finding: M, B, D, W, L (and not N: KUnit)
		TAINTS = {4: "M", 5: "B (bad page, KASAN)", 7: "D (oops)",
		          9: "W (warning)", 14: "L (soft lockup)"}

		try:
		    with open(sys.argv[1], errors="replace") as f:
		        lines = [TIME.sub("", l.rstrip("\n")) for l in f]
		except OSError as e:
		    print(f"FAIL {NAME}: no console log: {e}")
		    sys.exit(1)

		found, leaks, scanned, done = [], [], False, False
		for l in lines:
		    if l.startswith("pvp-kmemleak: "):
		        body = l[len("pvp-kmemleak: "):]
		        if body.startswith("unreferenced object"):
		            size = re.search(r"\(size \d+\)", body)
		            leaks.append({"what": "kmemleak: unreferenced object "
		                          + (size.group(0) if size else ""),
		                          "at": None, "ours": False, "pos": len(found)})
		        elif body == "end":
		            scanned = True
		        elif leaks:
		            k = leaks[-1]
		            k["ours"] = k["ours"] or bool(OURS.search(body))
		            fr = re.search(r"\] (\S+)", body)
		            if fr and k["at"] is None and not ALLOC.search(fr.group(1)):
		                k["at"] = fr.group(1)
		        continue
		    m = re.match(r"pvp-debug: taint=(\d+) debug_locks=(\S+)", l)
		    if m:
		        done = True
		        t = int(m.group(1))
		        bits = [v for k, v in TAINTS.items() if t >> k & 1]
		        if bits:
		            found.append([f"kernel tainted {t}: " + ", ".join(bits), None])
		        if m.group(2) != "1":
		            found.append([f"lockdep turned itself off "
		                          f"(debug_locks={m.group(2)})", None])
		        continue
		    m = KERNEL.search(l)
		    if m:
		        found.append([m.group(1).strip(), None])

		for k in reversed(leaks):
		    if k["ours"]:
		        found.insert(k["pos"], [k["what"], k["at"]])
		boot = [k for k in leaks if not k["ours"]]
		if boot:
		    print(f"kunit.sh: kmemleak: {len(boot)} unreferenced objects from "
		          f"outside the KUnit run not counted (first: {boot[0]['what']} "
		          f"from {boot[0]['at']})", file=sys.stderr)
		if not done:
		    found.append(["the guest did not reach the leak scan "
		                  "(crash, hang or timeout: see the console log)", None])
		elif not scanned:
		    found.append(["kmemleak did not scan (unavailable?)", None])
		msgs = [f"{a} from {b}" if b else a for a, b in found]
		for m in msgs:
		    print(f"kunit.sh: finding: {m}", file=sys.stderr)
		if msgs:
		    more = f" (+{len(msgs) - 1} more)" if len(msgs) > 1 else ""
		    print(f"FAIL {NAME}: {msgs[0]}{more}")
		    sys.exit(1)
		print(f"PASS {NAME}: no findings")
	EOF
}

# ---------------------------------------------------------------------------
# The debug guest: an initramfs that scans for leaks, and a QEMU config

make_initrd() {
	local out=$1 stage

	stage=$(mktemp -d)
	mkdir -p "$stage"/bin "$stage"/proc "$stage"/sys
	cp /bin/busybox "$stage/bin/busybox"
	cat >"$stage/init" <<-'EOF'
		#!/bin/busybox sh
		# pasid-vfio-pci debug guest: runs after the KUnit suites
		/bin/busybox --install -s /bin
		export PATH=/bin
		mount -t proc proc /proc
		mount -t sysfs sysfs /sys
		mount -t debugfs debugfs /sys/kernel/debug
		echo "pvp-debug: init after the suites"
		k=/sys/kernel/debug/kmemleak
		if [ -w "$k" ]; then
			# kmemleak reports objects older than 5 s only; the second
			# scan drops transient false positives
			sleep 6
			echo scan >"$k"
			echo scan >"$k"
			sed 's/^/pvp-kmemleak: /' "$k"
			echo "pvp-kmemleak: end"
		else
			echo "pvp-kmemleak: unavailable"
		fi
		dl=$(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats 2>/dev/null)
		echo "pvp-debug: taint=$(cat /proc/sys/kernel/tainted) debug_locks=${dl:-none}"
		reboot -f
	EOF
	chmod 755 "$stage/init"
	(cd "$stage" && find . | cpio -o -H newc --quiet) >"$out.tmp"
	rm -rf "$stage"
	mv "$out.tmp" "$out"
}

# kunit.py's x86_64 config, plus TCG (/dev/kvm may not work), one CPU, the
# initramfs, and "--" to hand its kunit_shutdown=reboot to init instead, so
# that the initramfs runs after the suites.  preempt=full: a CPU-bound test,
# 50-100 times slower under TCG and KASAN, would otherwise starve RCU's
# kthread on the default PREEMPT_NONE and raise a stall warning.
# kasan_multi_shot: report every bad access, not the first one only.
write_qemu_config() {
	python3 - "$1" "$2" <<-'EOF'
		import sys
		out, initrd = sys.argv[1:]
		with open(out, "w") as f:
		    f.write(f"""# Generated by scripts/kunit.sh
		from ..qemu_config import QemuArchParams

		QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
		\tkconfig='''
		CONFIG_SERIAL_8250=y
		CONFIG_SERIAL_8250_CONSOLE=y''',
		\tqemu_arch='x86_64',
		\tkernel_path='arch/x86/boot/bzImage',
		\tkernel_command_line='console=ttyS0 preempt=full kasan_multi_shot panic=-1 rdinit=/init --',
		\textra_qemu_params=['-bios', 'qboot.rom', '-accel', 'tcg', '-smp', '1',
		\t\t\t   '-initrd', {initrd!r}])
		""")
	EOF
}

# ---------------------------------------------------------------------------

# Run kunit.py in one build directory and report.
#   run_kunit <prefix> <build dir> <kunit.py run arguments...> -- <user arguments...>
run_kunit() {
	local prefix=$1 build=$2 args=() sum log start rc=0
	shift 2
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift

	args+=(--build_dir="$build" --jobs="$JOBS" --json="$build/results.json")
	case ${PVP_KUNIT_CCACHE:-auto} in
	auto) command -v ccache >/dev/null && args+=(--make_options "CC=ccache gcc") ;;
	1) args+=(--make_options "CC=ccache gcc") ;;
	0) ;;
	*) die "PVP_KUNIT_CCACHE must be auto, 1 or 0" ;;
	esac
	[ -z "${PVP_KUNIT_SEED:-}" ] ||
		args+=(--kernel_args "pasid_vfio_pci_kunit.model_seed=$PVP_KUNIT_SEED")
	[ -z "${PVP_KUNIT_ACCESSES:-}" ] ||
		args+=(--kernel_args "pasid_vfio_pci_kunit.model_accesses=$PVP_KUNIT_ACCESSES")

	mkdir -p "$build"
	rm -f "$build/results.json" "$build/test.log"
	# make compares mtimes through the links: a source swapped for an older
	# file (another checkout, a restored backup) would keep a stale object.
	# Rebuild this directory whenever the linked sources differ from the
	# last run.
	sum=$(cd "$TREE/$LINKDIR" && cat -- * | sha256sum)
	if [ "$(cat "$build/.pvp-sources" 2>/dev/null)" != "$sum" ]; then
		rm -f "$build/$LINKDIR"/*.o "$build/$LINKDIR"/*.a
		echo "$sum" >"$build/.pvp-sources"
	fi
	log=$build/kunit.log
	msg "linux-source-$VER, build dir $build"
	start=$SECONDS
	if [ "${PVP_KUNIT_VERBOSE:-0}" = 1 ]; then
		(cd "$TREE" && python3 tools/testing/kunit/kunit.py "${args[@]}" "$@") 2>&1 |
			tee "$log" >&2 || rc=$?
	else
		(cd "$TREE" && python3 tools/testing/kunit/kunit.py "${args[@]}" "$@") \
			>"$log" 2>&1 || rc=$?
	fi
	msg "kunit.py exited $rc after $((SECONDS - start)) s (log: $log)"

	# kunit.py exits non-zero on build errors, failures, crashes and no tests
	if [ "$rc" != 0 ]; then
		grep -E -A1 "error:|FAILED at|Expected|\[FAILED\]|\[CRASHED\]|ERROR" "$log" |
			grep -v "^--$" | head -80 >&2 || true
	fi
	if [ ! -s "$build/results.json" ]; then
		[ "$rc" != 0 ] || msg "no JSON output"
		tail -30 "$log" >&2
		echo "FAIL $prefix: kunit.py exited $rc without results"
		return 1
	fi
	report "$prefix" "$build/results.json" "$@" || rc=1
	# Compiler warnings in our files fail the run too
	if grep -E "$LINKDIR/[^:]*:[0-9]+:[0-9]+: warning:" "$log" >&2; then
		echo "FAIL $prefix/build: compiler warnings"
		rc=1
	fi
	return "$rc"
}

run_um() {
	run_kunit kunit "$PVP_CACHE/kunit/$VER-um" \
		run --arch=um --kunitconfig="$REPO/kunit/.kunitconfig" -- "$@"
}

run_debug() {
	local build=$PVP_CACHE/kunit/$VER-x86_64-debug rc=0

	if ! command -v qemu-system-x86_64 >/dev/null; then
		echo "FAIL kunit-debug: qemu-system-x86_64 is missing (qemu-system-x86)"
		return 1
	fi
	# The initramfs has no libraries: busybox-static's, not busybox's
	if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
		echo "FAIL kunit-debug: no static /bin/busybox (busybox-static)"
		return 1
	fi
	if ! command -v cpio >/dev/null; then
		echo "FAIL kunit-debug: cpio is missing"
		return 1
	fi
	mkdir -p "$build"
	make_initrd "$build/pvp-initrd.cpio"
	write_qemu_config "$build/pvp_qemu_x86_64.py" "$build/pvp-initrd.cpio"
	run_kunit kunit-debug "$build" \
		run --qemu_config="$build/pvp_qemu_x86_64.py" \
		--kunitconfig="$REPO/kunit/.kunitconfig" \
		--kunitconfig="$REPO/kunit/debug.kunitconfig" \
		--timeout="$TIMEOUT" -- "$@" || rc=1
	# No console: the build failed, and run_kunit said so
	[ -s "$build/test.log" ] || return 1
	findings "$build/test.log" || rc=1
	return "$rc"
}

mkdir -p "$PVP_CACHE/kunit"
exec 9>"$PVP_CACHE/kunit/$VER.lock"
flock 9

unpack_tree
wire_tree

rc=0
case $MODE in
um) run_um "$@" || rc=1 ;;
debug) run_debug "$@" || rc=1 ;;
all)
	run_um "$@" || rc=1
	run_debug "$@" || rc=1
	;;
esac
exit "$rc"
