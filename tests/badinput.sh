#!/bin/sh
# Bad input, inside a real Debian 11 system: unknown kernel, missing headers,
# source of another version, missing source, a patch that does not apply, a
# corrupt cache, and DKMS's behaviour for each.  Every case must end with
# one clear line and the right exit status, and the stock modules must stay
# untouched.
set -eu
KMF_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$KMF_TOP/tests/lib/common.sh"
. "$KMF_TOP/tests/lib/chroot.sh"
. "$KMF_TOP/tests/lib/result.sh"

base=5.10
suite=$(suite_of_base "$base")
root="$KMF_BUILD/roots/$suite-badinput"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$KMF_TOP/dkms.conf")
fresh_root "$suite" "$base" "$root"
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'drop_system "$root"' EXIT
chroot_mounts "$root"
kver=$(find "$root/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
kv=$(in_root "$root" dpkg-query -W -f='${Version}' "linux-image-$kver")
tree=/usr/src/kvm-mmu-fastpgd-$ver
mkdir -p "$root$tree"
cp -a "$KMF_TOP/dkms.conf" "$KMF_TOP/src" "$KMF_TOP/patches" "$root$tree/"
stock_sums() {
	in_root "$root" sh -c "find /lib/modules/$kver/kernel/arch/x86/kvm -type f | sort | xargs sha256sum"
}
before=$(stock_sums)

# try NAME RC REGEX cmd...: the command (inside the system) must exit with
# RC and its last line must match REGEX; our own lines must be one, apart
# from progress lines.
try() {
	_n=$1 _rc=$2 _re=$3
	shift 3
	_rc_got=0
	_out=$(in_root "$root" "$@" 2>&1) || _rc_got=$?
	_last=$(printf '%s\n' "$_out" | tail -n 1)
	_ours=$(printf '%s\n' "$_out" | grep '^kvm-mmu-fastpgd:' |
		grep -cv -e 'extracting' -e 'extracted in' -e 'building kvm' || true)
	echo "  $_n: exit $_rc_got: $_last"
	if [ "$_rc_got" != "$_rc" ]; then
		fail "badinput/$_n" "exit status $_rc_got, expected $_rc: $_last"
	elif ! printf '%s\n' "$_last" | grep -Eq -- "$_re"; then
		fail "badinput/$_n" "message does not match /$_re/: $_last"
	elif [ "$_ours" -ne 1 ]; then
		fail "badinput/$_n" "expected one message line, got $_ours"
	else
		pass "badinput/$_n"
	fi
}

B="$tree/src/kvm-fastpgd-build"
try unknown-kernel 77 'not supported by kvm-mmu-fastpgd.*skipped' \
	sh "$B" 4.19.0-27-amd64 /tmp/o
try already-included 77 "6[.]12[.]48[+]deb12-amd64 already contains upstream's CR0.WP fix.*using the kernel's own KVM" \
	sh "$B" 6.12.48+deb12-amd64 /tmp/o
try newer-kernel 77 "9.9.9-1-amd64 already contains upstream's CR0.WP fix.*using the kernel's own KVM" \
	sh "$B" 9.9.9-1-amd64 /tmp/o
try unknown-base 77 'kernel base 5.15 is not supported.*skipped' \
	sh "$B" 5.15.0-1-amd64 /tmp/o
try not-a-kernel-name 77 'not a kernel release name' sh "$B" foo /tmp/o
try no-headers 2 'install linux-headers-5.10.0-999-amd64' \
	sh "$B" 5.10.0-999-amd64 /tmp/o

# linux-source of another version: rewrite the recorded package version
st="$root/var/lib/dpkg/status"
cp "$st" "$st.orig"
awk '/^Package: /{p=$2} p=="linux-source-'"$base"'" && /^Version: /{$0="Version: 5.10.1-1"} {print}' \
	"$st.orig" >"$st"
try source-other-version 2 "is 5.10.1-1 but linux-image-$kver is $kv: apt-get install linux-source-$base=$kv" \
	sh "$B" "$kver" /tmp/o
# ... and DKMS, at a kernel upgrade, skips instead of failing
try dkms-skips-mismatched-source 0 '' sh -c "dkms add -m kvm-mmu-fastpgd -v $ver >/dev/null 2>&1;
	dkms autoinstall -k $kver; rc=\$?; ls /lib/modules/$kver/updates/dkms/kvm*.ko 2>/dev/null && rc=99; exit \$rc"
cp "$st.orig" "$st"
# ... and a kernel that already has the fix (a 6.12 here): autoinstall
# skips it with our line and exits 0
mkdir -p "$root/lib/modules/6.12.99-1-amd64/build/include"
try dkms-skips-included-kernel 0 "6[.]12[.]99-1-amd64 already contains upstream's CR0.WP fix" \
	sh -c "dkms autoinstall -k 6.12.99-1-amd64; rc=\$?; ls /lib/modules/6.12.99-1-amd64/updates/dkms/kvm*.ko 2>/dev/null && rc=99; exit \$rc"
rm -rf "$root/lib/modules/6.12.99-1-amd64"

# no linux-source at all
mv "$root/usr/src/linux-source-$base.tar.xz" "$root/usr/src/hidden.tar.xz"
try source-missing 2 "needs linux-source-$base version $kv: apt-get install linux-source-$base=$kv" \
	sh "$B" "$kver" /tmp/o
mv "$root/usr/src/hidden.tar.xz" "$root/usr/src/linux-source-$base.tar.xz"

# KVM_SOURCE of another version
mkdir -p "$root/tmp/other/arch/x86/kvm"
printf 'VERSION = 5\nPATCHLEVEL = 10\nSUBLEVEL = 1\n' >"$root/tmp/other/Makefile"
try kvm-source-other-version 2 'KVM_SOURCE=/tmp/other is Linux 5.10.1 but the kernel is 5\.10\.[0-9]+' \
	env KVM_SOURCE=/tmp/other sh "$B" "$kver" /tmp/o
try kvm-source-not-a-tree 2 'KVM_SOURCE=/nonexistent is not a kernel source tree' \
	env KVM_SOURCE=/nonexistent sh "$B" "$kver" /tmp/o

# a patch that does not apply: dkms build fails naming it, nothing installed
bad="$root$tree/patches/$base"
cat >"$bad/0001-does-not-apply.patch" <<'EOF'
From: kvm-mmu-fastpgd test suite
Subject: [PATCH] test: a patch that cannot apply

--- a/arch/x86/kvm/x86.c
+++ b/arch/x86/kvm/x86.c
@@ -1,3 +1,3 @@
-this line is not in x86.c
+neither is this one
 nor this
EOF
echo 0001-does-not-apply.patch >>"$bad/series"
echo "5.10.999-1" >"$bad/known-good"
out=$(in_root "$root" sh "$B" "$kver" /tmp/o 2>&1) && rc=0 || rc=$?
last=$(printf '%s\n' "$out" | tail -n 1)
echo "  patch-does-not-apply: exit $rc: $last"
expect badinput/patch-does-not-apply "exit $rc: $last" \
	sh -c '[ "$1" = 1 ] && printf "%s\n" "$2" | grep -q "patch 5.10/0001-does-not-apply.patch does not apply.*stock KVM stays in use.*Known good.*5.10.999-1"' - "$rc" "$last"
in_root "$root" dkms remove -m kvm-mmu-fastpgd -v "$ver" --all >/dev/null 2>&1 || true
in_root "$root" dkms add -m kvm-mmu-fastpgd -v "$ver" >/dev/null 2>&1 || true
out=$(in_root "$root" dkms install -m kvm-mmu-fastpgd -v "$ver" -k "$kver" 2>&1) && rc=0 || rc=$?
n=$(find "$root/lib/modules/$kver/updates" -name 'kvm*' 2>/dev/null | wc -l)
expect badinput/dkms-patch-fails-nothing-installed "dkms exit $rc, $n modules in updates/" \
	sh -c '[ "$1" != 0 ] && [ "$2" = 0 ]' - "$rc" "$n"
dep=$(in_root "$root" modprobe -S "$kver" --show-depends kvm_amd | grep '/kvm\.ko')
expect badinput/dkms-patch-fails-stock-resolves "$dep" \
	sh -c 'printf "%s\n" "$1" | grep -q "/kernel/arch/x86/kvm/kvm.ko"' - "$dep"
in_root "$root" dkms remove -m kvm-mmu-fastpgd -v "$ver" --all >/dev/null 2>&1 || true
rm -f "$bad/0001-does-not-apply.patch" "$bad/known-good"
cp "$KMF_TOP/patches/$base/series" "$bad/series"

# a corrupt cache is detected and extracted again; the build then succeeds
cache="$root/var/cache/kvm-mmu-fastpgd/kvm-src/$kv"
in_root "$root" sh "$B" "$kver" /tmp/o >/dev/null 2>&1 || true
if [ -f "$cache/tree/arch/x86/kvm/x86.c" ]; then
	echo "/* corrupted */" >>"$cache/tree/arch/x86/kvm/x86.c"
	out=$(in_root "$root" sh "$B" "$kver" /tmp/o 2>&1) && rc=0 || rc=$?
	echo "  corrupt-cache: exit $rc: $(printf '%s\n' "$out" | grep corrupt)"
	expect badinput/corrupt-cache "exit $rc; $(printf '%s\n' "$out" | tail -n 1)" \
		sh -c '[ "$1" = 0 ] && printf "%s\n" "$2" | grep -q "cache .* is corrupt (checksum mismatch); extracting it again" &&
			! grep -q corrupted "$3"' - "$rc" "$out" "$cache/tree/arch/x86/kvm/x86.c"
else
	fail badinput/corrupt-cache "the first build did not populate $cache"
fi

after=$(stock_sums)
expect badinput/stock-untouched "stock modules changed" [ "$before" = "$after" ]
