#!/bin/sh
# The series of one kernel base against Debian's own sources of that base,
# inside a real Debian system of the base:
#   apply       the whole series applies with neither fuzz nor offset to
#               every version of linux-source-BASE that apt offers there
#               (patches/BASE/SRCVER/ holds a patch regenerated for a source
#               version whose line numbers differ); the matrix goes to
#               results/series-BASE.txt, and every version listed in
#               patches/BASE/known-good must pass
#   checkpatch  every patch passes checkpatch.pl of the newest source (no
#               error; a warning only if patches/BASE/checkpatch-allow lists
#               it with its reason)
#   build       kvm, kvm-intel and kvm-amd build against that version's own
#               kernel headers: every prefix of the series (0..N patches)
#               on the newest version, the whole series on the others
#               (--all-prefixes: every prefix on every version)
#
#   audit       docs/audit.tsv's expectations for BASE hold on the newest
#               source, stock and with the series (tests/lib/audit.pl); a base
#               without a series (6.12) gets only this, on its stock source
#
#   tests/series.sh [--all-prefixes] BASE
set -eu
KMF_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$KMF_TOP/tests/lib/common.sh"
. "$KMF_TOP/tests/lib/chroot.sh"
. "$KMF_TOP/tests/lib/result.sh"

all_prefixes=
if [ "${1:-}" = --all-prefixes ]; then
	all_prefixes=1
	shift
fi
base=${1:?usage: series.sh [--all-prefixes] BASE}
t=series/$base
pdir="$KMF_TOP/patches/$base"
patches=
[ ! -f "$pdir/series" ] || patches=$(grep -v '^#' "$pdir/series" | awk 'NF { print $1 }')
# the optional patches (KMF_GUEST_OWNED_CR0_WP=yes), after the series: they
# must apply and build too; the audit is of the series alone
optional=
[ ! -f "$pdir/series.guest-owned-cr0-wp" ] ||
	optional=$(grep -v '^#' "$pdir/series.guest-owned-cr0-wp" | awk 'NF { print $1 }')
# the columns of docs/audit.tsv: stock, and with our series
case $base in
5.10) acol=5 aours=6 ;;
6.1) acol=7 aours=8 ;;
6.12) acol=9 aours= ;;
*) die "docs/audit.tsv has no column for $base" ;;
esac
npatches=$(printf '%s\n' "$patches" "$optional" | grep -c . || true)
suite=$(suite_of_base "$base")
root="$KMF_BUILD/roots/$suite-series.$$"
srcs="$KMF_CACHE/sources/$suite"
matrix="$KMF_BUILD/results/series-$base.txt"
mkdir -p "$srcs" "$KMF_BUILD/results"

fresh_root "$suite" "$base" "$root"
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'drop_system "$root"' EXIT
chroot_mounts "$root"
mkdir -p "$root/var/cache/kmf-sources"
mount --bind "$srcs" "$root/var/cache/kmf-sources"
# the work happens inside the system, where the build step runs
w=/tmp/series
work="$root$w"
mkdir -p "$work"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$KMF_TOP/dkms.conf")
tree="/usr/src/kvm-mmu-fastpgd-$ver"
mkdir -p "$root$tree"
cp -a "$KMF_TOP/dkms.conf" "$KMF_TOP/src" "$KMF_TOP/patches" "$root$tree/"

step "apt-get update ($suite)" in_root "$root" apt-get update -q ||
	die "apt-get update failed inside the Debian $suite system"
versions=$(in_root "$root" apt-cache madison "linux-source-$base" |
	awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | sort -uV)
[ -n "$versions" ] || die "apt offers no linux-source-$base in Debian $suite"
newest=$(printf '%s\n' "$versions" | tail -n 1)
echo "linux-source-$base versions apt offers: $(echo "$versions" | tr '\n' ' ')"
# without a series, only the audit of the newest source
[ -n "$patches" ] || versions=$newest

# fetch VERSION: the linux-source package of that version, cached
fetch() {
	_deb="$srcs/linux-source-${base}_$1_all.deb"
	[ -s "$_deb" ] && return 0
	in_root "$root" sh -c \
		"cd /var/cache/kmf-sources && apt-get download -q linux-source-$base=$1" \
		>"$work/download.log" 2>&1
}

# unpack VERSION DIR: the parts of that source the build step and the test
# use (KVM and the headers around it, checkpatch)
unpack() {
	mkdir -p "$2"
	_m=
	for _f in Makefile arch/x86/kvm virt/kvm arch/x86/include include/linux \
		include/kvm include/trace scripts/checkpatch.pl scripts/spelling.txt \
		scripts/const_structs.checkpatch; do
		_m="$_m linux-source-$base/$_f"
	done
	# shellcheck disable=SC2086 # list of members
	dpkg-deb --fsys-tarfile "$srcs/linux-source-${base}_$1_all.deb" |
		tar -xO "./usr/src/linux-source-$base.tar.xz" |
		tar -xJ -C "$2" --strip-components=1 $_m
}

# patch_for VERSION NAME: the file the build step would apply
patch_for() {
	if [ -f "$pdir/$1/$2" ]; then echo "$pdir/$1/$2"; else echo "$pdir/$2"; fi
}

# apply_all VERSION DIR PATCHES: the patches, in order; prints the first
# one that does not apply or applies only with fuzz or an offset, and
# returns 1
apply_all() {
	for _p in $3; do
		if ! _o=$(patch -d "$2" -p1 --batch --forward --fuzz=0 \
			--no-backup-if-mismatch -r - -i "$(patch_for "$1" "$_p")" 2>&1); then
			echo "$_p (does not apply)"
			return 1
		fi
		if printf '%s\n' "$_o" | grep -qi 'offset\|fuzz'; then
			echo "$_p ($(printf '%s\n' "$_o" | grep -i 'offset\|fuzz' | head -n 1))"
			return 1
		fi
	done
}

# audit NAME COLUMN TREE: the rows of docs/audit.tsv hold on TREE
audit() {
	_bad=$(perl "$KMF_TOP/tests/lib/audit.pl" "$KMF_TOP/docs/audit.tsv" "$2" "$3" |
		awk '$2 != $3 { printf "%s: expected %s, found %s; ", $1, $2, $3 }')
	if [ -z "$_bad" ]; then
		pass "$1"
	else
		fail "$1" "docs/audit.tsv is stale: $_bad"
	fi
}

# headers_for VERSION: name of the kernel headers package built from that
# source version (linux-headers-5.10.0-N-amd64)
headers_for() {
	in_root "$root" apt-cache search --names-only \
		"^linux-headers-${base}[.0-9]*-[0-9]+-amd64\$" | awk '{ print $1 }' |
		while read -r _h; do
			if in_root "$root" apt-cache madison "$_h" |
				awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | grep -qxF "$1"; then
				echo "$_h"
				return 0
			fi
		done
}

# build_prefixes VERSION KVER FIRST: build with FIRST..N patches, each
# build reusing the tree of the one before
build_prefixes() {
	_n=$3
	while [ "$_n" -le "$npatches" ]; do
		if step "$1: build with the first $_n of $npatches patches" in_root "$root" \
			env KVM_SOURCE="$w/$1/src" KMF_KDIR="/usr/src/$2" KMF_PREFIX="$_n" \
			KMF_CONF=/dev/null KMF_GUEST_OWNED_CR0_WP=yes \
			KMF_INCREMENTAL=1 sh "$tree/src/kvm-fastpgd-build" "${2#linux-headers-}" \
			"$w/$1/out"; then
			pass "$t/build/$1/prefix-$_n"
		else
			fail "$t/build/$1/prefix-$_n" "kvm, kvm-intel or kvm-amd does not build from linux-source-$base $1 with the first $_n patches"
		fi
		_n=$((_n + 1))
	done
}

: >"$matrix"
good=
for v in $versions; do
	if ! fetch "$v"; then
		# the archive's index still names it, but the file is gone from
		# the pool: nobody can install it, so there is nothing to test
		if grep -q '404' "$work/download.log"; then
			note "linux-source-$base=$v: listed by apt but no longer downloadable (404); not tested"
			echo "$v: not tested (listed by apt, but the archive no longer has the file)" >>"$matrix"
		else
			cat "$work/download.log" >&2
			fail "$t/apply/$v" "could not download linux-source-$base=$v"
			echo "$v: not tested (download failed)" >>"$matrix"
		fi
		continue
	fi
	step "unpack linux-source-$base $v" unpack "$v" "$work/$v/src" ||
		die "cannot unpack linux-source-$base $v"
	if [ "$v" = "$newest" ]; then
		audit "$t/audit/stock-$v" "$acol" "$work/$v/src"
	fi
	if [ -z "$patches" ]; then
		echo "$v: no series; audited" >>"$matrix"
		continue
	fi
	cp -a "$work/$v/src" "$work/$v/applied"
	if why=$(apply_all "$v" "$work/$v/applied" "$patches"); then
		if [ "$v" = "$newest" ]; then
			audit "$t/audit/ours-$v" "$aours" "$work/$v/applied"
		fi
	fi
	if [ -z "$why" ] && why=$(apply_all "$v" "$work/$v/applied" "$optional"); then
		pass "$t/apply/$v"
		good="$good $v"
		m="all $npatches patches (optional ones included) apply, no fuzz, no offset"
	else
		fail "$t/apply/$v" "first failing patch: $why"
		m="fails at $why"
	fi
	# 05/12 of the upstream series is not carried: the base has it
	if [ "$base" = 5.10 ]; then
		expect "$t/has-05of12/$v" "mmu_free_root_page() lacks WARN_ON(!sp) (upstream 9191b8f0745e); the series must carry it" \
			grep -q 'if (WARN_ON(!sp))' "$work/$v/src/arch/x86/kvm/mmu/mmu.c"
	fi
	hdr=$(headers_for "$v")
	if [ -z "$hdr" ] || ! step "install $hdr=$v" in_root "$root" \
		apt-get install -y -q --no-install-recommends "$hdr=$v"; then
		fail "$t/build/$v" "no kernel headers of linux-source-$base $v to build against"
		m="$m; build not tested (no headers)"
	else
		first=$npatches
		if [ "$v" = "$newest" ] || [ -n "$all_prefixes" ]; then
			first=0
		fi
		build_prefixes "$v" "$hdr" "$first"
		m="$m; builds with prefixes $first..$npatches against $hdr"
	fi
	echo "$v: $m" >>"$matrix"
	rm -rf "${work:?}/$v/applied"
done
for v in $(grep -v '^#' "$pdir/known-good" 2>/dev/null || true); do
	case " $good " in
	*" $v "*) pass "$t/known-good/$v" ;;
	*) fail "$t/known-good/$v" "listed in patches/$base/known-good, but the series does not apply cleanly to it or apt no longer offers it" ;;
	esac
done

cp="$work/$newest/src/scripts/checkpatch.pl"
allow="$pdir/checkpatch-allow"
[ -n "$patches" ] || exit 0
for f in $(cd "$pdir" && find . -name '*.patch' | sed 's#^\./##' | sort); do
	# UNKNOWN_COMMIT_ID: checkpatch looks commit ids up in a Linux git
	# tree, which this test does not have.  --no-signoff: the patches are
	# ours and carry no Signed-off-by (none is invented for anybody).
	out=$(perl "$cp" --no-tree --no-signoff --terse --show-types \
		--ignore UNKNOWN_COMMIT_ID "$pdir/$f" 2>&1 || true)
	bad=$(printf '%s\n' "$out" | grep -E ': (ERROR|WARNING|CHECK):' |
		while IFS= read -r l; do
			ty=$(printf '%s\n' "$l" | sed -n 's/.*: \(ERROR\|WARNING\|CHECK\):\([A-Z_0-9]*\):.*/\2/p')
			if [ -f "$allow" ] && grep -q "^${f##*/} $ty " "$allow"; then
				continue
			fi
			printf '%s\n' "$l"
		done)
	if [ -z "$bad" ]; then
		pass "$t/checkpatch/$f"
	else
		fail "$t/checkpatch/$f" "$(printf '%s\n' "$bad" | head -n 3 | tr '\n' ' ')"
	fi
done
echo "apply matrix (linux-source-$base):"
sed 's/^/  /' "$matrix"
