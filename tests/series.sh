#!/bin/sh
# The series of one kernel base against Debian's own sources of that base,
# inside a real Debian system of the base:
#   checkpatch  every patch passes checkpatch.pl taken from the newest
#               linux-source-BASE (no error; a warning only if it is listed,
#               with its reason, in patches/BASE/checkpatch-allow)
#   apply       the whole series applies with neither fuzz nor offset to
#               every version of linux-source-BASE that apt offers there
#               (the matrix goes to results/series-BASE.txt); every version
#               in patches/BASE/known-good must be among them
#   prefix      every prefix of the series (0..N patches) builds kvm,
#               kvm-intel and kvm-amd against the system's newest kernel
#
#   tests/series.sh BASE
set -eu
KMF_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$KMF_TOP/tests/lib/common.sh"
. "$KMF_TOP/tests/lib/chroot.sh"
. "$KMF_TOP/tests/lib/result.sh"

base=${1:?usage: series.sh BASE}
t=series/$base
pdir="$KMF_TOP/patches/$base"
[ -f "$pdir/series" ] || die "no series for $base"
patches=$(grep -v '^#' "$pdir/series" | awk 'NF { print $1 }')
npatches=$(printf '%s\n' "$patches" | grep -c . || true)
suite=$(suite_of_base "$base")
root="$KMF_BUILD/roots/$suite-series.$$"
srcs="$KMF_CACHE/sources/$suite"
work="$KMF_BUILD/series-$base"
matrix="$KMF_BUILD/results/series-$base.txt"
mkdir -p "$srcs" "$KMF_BUILD/results"
rm -rf "$work"
mkdir -p "$work"

fresh_root "$suite" "$base" "$root"
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'chroot_umounts "$root"; umount "$root/var/cache/kmf-sources" 2>/dev/null || true; [ "${KMF_KEEP:-}" = 1 ] || rm -rf "$root" "$work"' EXIT
chroot_mounts "$root"
mkdir -p "$root/var/cache/kmf-sources"
mount --bind "$srcs" "$root/var/cache/kmf-sources"
kver=$(find "$root/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)

step "apt-get update ($suite)" in_root "$root" apt-get update -q ||
	die "apt-get update failed inside the Debian $suite system"
versions=$(in_root "$root" apt-cache madison "linux-source-$base" |
	awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | sort -uV)
[ -n "$versions" ] || die "apt offers no linux-source-$base in Debian $suite"
newest=$(printf '%s\n' "$versions" | tail -n 1)
echo "linux-source-$base versions offered: $(echo "$versions" | tr '\n' ' ')"

# The files the series touches, as members of the source tarball.
members="scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch
 $(for p in $patches; do sed -n 's#^+++ b/##p' "$pdir/$p"; done | sort -u)"

# unpack VERSION DIR: the series' files of that linux-source version
unpack() {
	_deb="$srcs/linux-source-${base}_$(echo "$1" | sed 's/:/%3a/')_all.deb"
	if [ ! -s "$_deb" ]; then
		step "download linux-source-$base=$1" in_root "$root" sh -c \
			"cd /var/cache/kmf-sources && apt-get download -q linux-source-$base=$1" ||
			return 1
	fi
	mkdir -p "$2"
	_m=
	for _f in $members; do _m="$_m linux-source-$base/$_f"; done
	# shellcheck disable=SC2086 # list of members
	dpkg-deb --fsys-tarfile "$_deb" |
		tar -xO "./usr/src/linux-source-$base.tar.xz" |
		tar -xJ -C "$2" --strip-components=1 $_m
}

# apply_all DIR: the series, in order; prints the first patch that fails
# or applies with fuzz or an offset, and returns 1
apply_all() {
	for _p in $patches; do
		if ! _o=$(patch -d "$1" -p1 --batch --forward --fuzz=0 \
			--no-backup-if-mismatch -r - -i "$pdir/$_p" 2>&1); then
			echo "$_p (does not apply)"
			return 1
		fi
		if printf '%s\n' "$_o" | grep -qi 'offset\|fuzz'; then
			echo "$_p ($(printf '%s\n' "$_o" | grep -i 'offset\|fuzz' | head -n 1))"
			return 1
		fi
	done
}

# --- apply matrix -----------------------------------------------------
: >"$matrix"
good=
for v in $versions; do
	d="$work/$v"
	if ! unpack "$v" "$d"; then
		fail "$t/apply/$v" "could not download or unpack linux-source-$base=$v"
		echo "$v: not tested (download failed)" >>"$matrix"
		continue
	fi
	if why=$(apply_all "$d"); then
		pass "$t/apply/$v"
		echo "$v: all $npatches patches apply, no fuzz, no offset" >>"$matrix"
		good="$good $v"
	else
		fail "$t/apply/$v" "first failing patch: $why"
		echo "$v: fails at $why" >>"$matrix"
	fi
	# 05/12 of the upstream series is not carried because the base has it
	if [ "$base" = 5.10 ]; then
		expect "$t/already-has-05/$v" "mmu_free_root_page() lacks WARN_ON(!sp) (upstream 9191b8f0745e); the series must carry it" \
			grep -q 'if (WARN_ON(!sp))' "$d/arch/x86/kvm/mmu/mmu.c"
	fi
done
for v in $(grep -v '^#' "$pdir/known-good" 2>/dev/null || true); do
	case " $good " in
	*" $v "*) pass "$t/known-good/$v" ;;
	*) fail "$t/known-good/$v" "listed in patches/$base/known-good but the series does not apply cleanly to it (or apt no longer offers it)" ;;
	esac
done

# --- checkpatch, from the newest source ---------------------------------
cp="$work/$newest/scripts/checkpatch.pl"
allow="$pdir/checkpatch-allow"
for p in $patches; do
	# UNKNOWN_COMMIT_ID: checkpatch looks commit ids up in a Linux git
	# tree, which this test does not have.  --no-signoff: the patches are
	# ours and carry no Signed-off-by (none is invented for anybody).
	out=$(perl "$cp" --no-tree --no-signoff --terse --show-types \
		--ignore UNKNOWN_COMMIT_ID "$pdir/$p" 2>&1 || true)
	bad=$(printf '%s\n' "$out" | grep -E ': (ERROR|WARNING|CHECK):' |
		while IFS= read -r l; do
			ty=$(printf '%s\n' "$l" | sed -n 's/.*: \(ERROR\|WARNING\|CHECK\):\([A-Z_0-9]*\):.*/\2/p')
			if [ -f "$allow" ] && grep -q "^$p $ty " "$allow"; then
				continue
			fi
			printf '%s\n' "$l"
		done)
	if [ -z "$bad" ]; then
		pass "$t/checkpatch/$p"
	else
		fail "$t/checkpatch/$p" "$(printf '%s\n' "$bad" | head -n 3 | tr '\n' ' ')"
	fi
done

# --- every prefix builds --------------------------------------------------
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$KMF_TOP/dkms.conf")
tree="/usr/src/kvm-mmu-fastpgd-$ver"
mkdir -p "$root$tree"
cp -a "$KMF_TOP/dkms.conf" "$KMF_TOP/src" "$KMF_TOP/patches" "$root$tree/"
n=0
while [ "$n" -le "$npatches" ]; do
	if step "build with the first $n of $npatches patches ($kver)" in_root "$root" \
		env KMF_PREFIX="$n" KMF_INCREMENTAL=1 sh "$tree/src/kvm-fastpgd-build" "$kver" /tmp/kmf-prefix; then
		pass "$t/prefix/$n"
	else
		fail "$t/prefix/$n" "kvm, kvm-intel or kvm-amd does not build with the first $n patches"
	fi
	n=$((n + 1))
done
echo "apply matrix:"
sed 's/^/  /' "$matrix"
