#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the KUnit suites of kunit/ against src/ecap.c on UML, inside Debian's
# linux-source tree, and print one line per suite:
#   PASS kunit/<suite> (<n> cases)     FAIL kunit/<suite>: <why>
#
#   scripts/kunit.sh [kunit.py run options...]     e.g. 'pasid_vfio_pci_model'
#
# Environment:
#   PVP_CACHE          cache root (default ${XDG_CACHE_HOME:-~/.cache}/pasid-vfio-pci)
#   PVP_KUNIT_SRC      6.1 (default) or 6.12: which linux-source-<ver> to use
#   PVP_KUNIT_JOBS     make jobs (default 2)
#   PVP_KUNIT_CCACHE   auto (default: use ccache if installed), 1 or 0
#   PVP_KUNIT_SEED     seed of the pasid_vfio_pci_model test (default: built in)
#   PVP_KUNIT_ACCESSES accesses of the pasid_vfio_pci_model test
#   PVP_KUNIT_VERBOSE  1: show kunit.py's output as it runs
#
# The tree is unpacked once into $PVP_CACHE/src/linux-source-<ver> and wired
# idempotently: drivers/misc/pasid_vfio_pci/ holds links to kunit/* and
# src/ecap.[ch], drivers/misc/{Kconfig,Makefile} get one line each.  The
# build directory is $PVP_CACHE/kunit/<ver>-um; its log and JSON stay there.
set -euo pipefail

PVP_CACHE=${PVP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pasid-vfio-pci}
VER=${PVP_KUNIT_SRC:-6.1}
JOBS=${PVP_KUNIT_JOBS:-2}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TREE=$PVP_CACHE/src/linux-source-$VER
BUILD=$PVP_CACHE/kunit/$VER-um
LINKDIR=drivers/misc/pasid_vfio_pci

msg() { printf '%s\n' "kunit.sh: $*" >&2; }
die() { msg "error: $*"; exit 1; }

case $VER in
6.1 | 6.12) ;;
*) die "PVP_KUNIT_SRC=$VER: only 6.1 and 6.12 are supported" ;;
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
report() {
	local json=$1 suites=()

	# With a filter (arguments for kunit.py), only what ran is reported
	[ "$#" -gt 1 ] || mapfile -t suites < <(sed -n \
		's/^[[:space:]]*\.name = "\(pasid_vfio_pci_[a-z0-9_]*\)",$/\1/p' \
		"$REPO"/kunit/*.c | sort -u)
	python3 - "$json" "${suites[@]}" <<-'EOF'
		import json, sys

		def cases(group):
		    """Leaf cases: parameterised cases count once per parameter."""
		    out = list(group.get("test_cases", []))
		    for sub in group.get("sub_groups", []):
		        out += cases(sub)
		    return out

		def bad(c):
		    return c["status"] not in ("PASS", "SKIP")

		try:
		    with open(sys.argv[1]) as f:
		        top = json.load(f)
		except (OSError, ValueError) as e:
		    print(f"FAIL kunit/json: {e}")
		    sys.exit(1)
		want = sys.argv[2:]
		seen = {g["name"]: g for g in top.get("sub_groups", [])}
		rc = 0
		for name in sorted(set(want) | set(seen)):
		    g = seen.get(name)
		    if g is None:
		        print(f"FAIL kunit/{name}: did not run")
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
		        print(f"FAIL kunit/{name}: {why}")
		        rc = 1
		    else:
		        extra = f", {len(skipped)} skipped" if skipped else ""
		        print(f"PASS kunit/{name} ({len(top_cases)} cases, "
		              f"{len(leaves)} with parameters{extra})")
		if not seen:
		    print("FAIL kunit: no test ran")
		    rc = 1
		sys.exit(rc)
	EOF
}

# ---------------------------------------------------------------------------

mkdir -p "$PVP_CACHE/kunit"
exec 9>"$PVP_CACHE/kunit/$VER.lock"
flock 9

unpack_tree
wire_tree

args=(run --arch=um --kunitconfig="$REPO/kunit/.kunitconfig"
      --build_dir="$BUILD" --jobs="$JOBS" --json="$BUILD/results.json")
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

mkdir -p "$BUILD"
rm -f "$BUILD/results.json"
# make compares mtimes through the links: a source swapped for an older file
# (another checkout, a restored backup) would keep a stale object.  Rebuild
# this directory whenever the linked sources differ from the last run.
sum=$(cd "$TREE/$LINKDIR" && cat -- * | sha256sum)
if [ "$(cat "$BUILD/.pvp-sources" 2>/dev/null)" != "$sum" ]; then
	rm -f "$BUILD/$LINKDIR"/*.o "$BUILD/$LINKDIR"/*.a
	echo "$sum" >"$BUILD/.pvp-sources"
fi
log=$BUILD/kunit.log
msg "linux-source-$VER, build dir $BUILD"
start=$SECONDS
rc=0
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
if [ ! -s "$BUILD/results.json" ]; then
	[ "$rc" != 0 ] || msg "no JSON output"
	tail -30 "$log" >&2
	echo "FAIL kunit: kunit.py exited $rc without results"
	exit 1
fi
report "$BUILD/results.json" "$@" || rc=1
# Compiler warnings in our files fail the run too
if grep -E "$LINKDIR/[^:]*:[0-9]+:[0-9]+: warning:" "$log" >&2; then
	echo "FAIL kunit/build: compiler warnings"
	rc=1
fi
exit "$rc"
