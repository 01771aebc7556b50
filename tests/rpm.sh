#!/bin/sh
# RPM packaging: `make rpm` (rpm/build.sh) builds the SRPM and RPMs,
# rpmlint checks spec, SRPM and RPMs, and the scriptlets run for real in a
# Debian 11 system with rpm and dkms: the SRPMs are rebuilt there (so that
# the tool links against that system's libc), rpm -i of release 1 (DKMS
# builds and installs for the kernel, the smoke test runs, activation is
# asked for, an unsupported kernel is skipped with one line, the tool's
# status shows it), rpm -U to release 2 of the same version (the module
# must stay installed), rpm -U to the next version (only the new version
# stays in DKMS), rpm -e (the stock modules resolve again).
set -eu
KMF_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$KMF_TOP/tests/lib/common.sh"
. "$KMF_TOP/tests/lib/chroot.sh"
. "$KMF_TOP/tests/lib/result.sh"

name=kvm-mmu-fastpgd
base=5.10
suite=$(suite_of_base "$base")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$KMF_TOP/dkms.conf")
out="$KMF_BUILD/rpm-test"
root="$KMF_BUILD/roots/$suite-rpm.$$"

# --- build: release 1 and release 2 of the same version ---
for r in 1 2; do
	if ! step "make rpm, release $r" sh "$KMF_TOP/rpm/build.sh" "$out/r$r" "$r"; then
		fail rpm/build "rpm/build.sh failed for release $r"
		exit 0
	fi
done
n=$(find "$out/r1/SRPMS" "$out/r1/RPMS" -name "$name*-$ver-1.*rpm" | wc -l)
expect rpm/build "expected an SRPM and two RPMs in $out/r1, found $n" [ "$n" = 3 ]
# ... and of a next version, from a copy of the tree with the version raised
# in dkms.conf and the spec (outside git: build.sh's other path)
nv=$ver.1
copy=$(mktemp -d "${TMPDIR:-/tmp}/kmf-rpm-next.XXXXXX")
(cd "$KMF_TOP" && git ls-files -z | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' - |
	tar --null -T - -cf -) | tar -C "$copy" -xf -
sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$nv\"/" "$copy/dkms.conf"
sed -i "s/^Version:.*/Version:        $nv/" "$copy/rpm/$name.spec"
if ! step "make rpm, version $nv (a copy of the tree)" sh "$copy/rpm/build.sh" "$out/v2"; then
	fail rpm/build "rpm/build.sh failed for version $nv"
	rm -rf "$copy"
	exit 0
fi
rm -rf "$copy"

# --- rpmlint on the spec, the SRPM and the RPMs, with our filters ---
lint_rc=0
lint=$(rpmlint -c "$KMF_TOP/rpm/rpmlint.toml" -r "$KMF_TOP/rpm/$name.rpmlintrc" "$KMF_TOP/rpm/$name.spec" \
	"$out"/r1/SRPMS/*.rpm "$out"/r1/RPMS/*/*.rpm 2>&1) || lint_rc=$?
printf '%s\n' "$lint" | sed 's/^/  rpmlint| /'
sum=$(printf '%s\n' "$lint" | grep 'packages and .* specfiles checked' || true)
expect rpm/rpmlint "rpmlint exit $lint_rc: ${sum:-no summary}" \
	sh -c '[ "$1" = 0 ] && printf "%s\n" "$2" | grep -q " 0 errors, 0 warnings"' - "$lint_rc" "$sum"

# --- a Debian 11 system with rpm ---
fresh_root "$suite" "$base" "$root"
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'drop_system "$root"' EXIT
chroot_mounts "$root"
apt_cache_in "$root" "$suite"
install_rpm() {
	in_root "$root" apt-get install -y -q --no-install-recommends rpm ||
		{ in_root "$root" apt-get update -q &&
			in_root "$root" apt-get install -y -q --no-install-recommends rpm; } || return
	apt_cache_out "$root" "$suite"
}
step "apt-get install rpm (Debian $suite)" install_rpm
kver=$(find "$root/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
echo "Debian $suite, kernel $kver, $(in_root "$root" rpm --version)"
stock_sums() {
	in_root "$root" sh -c "find /lib/modules/$kver/kernel/arch/x86/kvm -type f | sort | xargs sha256sum"
}
before=$(stock_sums)
# The SRPMs rebuilt with that system's rpmbuild (4.16) and compiler: the
# host's binaries need a newer libc than Debian 11's.
for r in r1 r2 v2; do
	mkdir -p "$root/tmp/srpms/$r"
	cp "$out/$r"/SRPMS/*.src.rpm "$root/tmp/srpms/$r/"
	if ! step "rpmbuild --rebuild $r (Debian $suite)" in_root "$root" sh -c \
		"rpmbuild --rebuild --nodeps --define '_topdir /tmp/rb/$r' /tmp/srpms/$r/*.src.rpm"; then
		fail rpm/rebuild-srpm "rpmbuild --rebuild of $r failed in Debian $suite"
		exit 0
	fi
	mkdir -p "$root/tmp/rpms/$r"
	mv "$root/tmp/rb/$r"/RPMS/*/*.rpm "$root/tmp/rpms/$r/"
done
n=$(find "$root/tmp/rpms" -name '*.rpm' | wc -l)
expect rpm/rebuild-srpm "expected 6 RPMs from the three SRPMs, found $n" [ "$n" = 6 ]
# rpm_in ARGS: rpm inside the system (ARGS is a shell line run there, so
# that its globs expand there).  Debian's rpm refuses to install packages
# without --force-debian.
rpm_in() {
	in_root "$root" sh -c "rpm --force-debian $1"
}

# The dependencies rpm cannot see here (its database is empty, dpkg has
# them): the spec's Requires, /bin/sh and the libc the tool links against,
# nothing else.
missing=$(rpm_in "-i --test /tmp/rpms/r1/*.rpm" 2>&1 |
	sed -n 's/^[[:space:]]*\(.*\) is needed by .*/\1/p' | sort -u | tr '\n' ' ')
echo "  dependencies rpm cannot resolve here (installed with --nodeps): $missing"
other=$(printf '%s' "$missing" | tr ' ' '\n' | grep -v '^$' | grep -Ev '^(/bin/sh|dkms|gawk|gcc|kmod|make|patch|sed|libc\.so\.6.*|rtld\(GNU_HASH\))$' || true)
expect rpm/nodeps-list "unexpected unresolved dependencies: ${other:-none, but dkms is not among them: $missing}" \
	sh -c '[ -z "$1" ] && case " $2" in *" dkms "*" libc.so.6()(64bit) "*) ;; *) exit 1 ;; esac' - "$other" "$missing"

# a second, unsupported kernel (base 5.15): %post must skip it in one line
fake=5.15.0-99-amd64
mkdir -p "$root/lib/modules/$fake/kernel"

# resolved MOD: the kvm.ko and vendor .ko modprobe would load
resolved() {
	in_root "$root" modprobe -S "$kver" --show-depends "$1" 2>&1 | awk '{ print $2 }' | tr '\n' ' '
}
dkms_status() {
	in_root "$root" dkms status -m "$name" 2>&1 || true
}
dkms_ko="/lib/modules/$kver/updates/dkms"

# --- rpm -i, release 1 ---
t0=$(date +%s)
rc=0
log=$(rpm_in "-i --nodeps /tmp/rpms/r1/*.rpm" 2>&1) || rc=$?
printf '%s\n' "$log" | sed 's/^/  rpm -i| /'
echo "  rpm -i: exit $rc in $(($(date +%s) - t0))s"
expect rpm/install-exit "rpm -i exited $rc" [ "$rc" = 0 ]
st=$(dkms_status)
expect rpm/install-dkms-installed "dkms status: $st" \
	sh -c 'printf "%s\n" "$1" | grep -q "$2.*: installed"' - "$st" "$kver"
res=$(resolved kvm_amd)
res2=$(resolved kvm_intel)
expect rpm/install-resolves-dkms "modprobe resolves: $res / $res2" \
	sh -c 'case "$1" in *"$3/kvm.ko "*"$3/kvm-amd.ko "*) ;; *) exit 1 ;; esac
		case "$2" in *"$3/kvm.ko "*"$3/kvm-intel.ko "*) ;; *) exit 1 ;; esac' - "$res" "$res2" "$dkms_ko"
mv=$(in_root "$root" modinfo -F version "$dkms_ko/kvm.ko" 2>&1 || true)
expect rpm/install-modinfo-version "modinfo version of the DKMS kvm.ko: $mv" [ "$mv" = "$ver" ]
smoke=$(cat "$root/var/lib/$name/smoke/$kver" 2>/dev/null || echo "no record")
expect rpm/install-smoke-ran "smoke record: $smoke; output: $(printf '%s\n' "$log" | grep -i smoke || true)" \
	sh -c 'case "$1" in pass*) ;; *) exit 1 ;; esac
		printf "%s\n" "$2" | grep -q "$3: smoke test passed"' - "$smoke" "$log" "$kver"
nskip=$(printf '%s\n' "$log" | grep -c "$fake" || true)
expect rpm/install-skips-unsupported "lines naming $fake: $nskip; $(printf '%s\n' "$log" | grep "$fake" || true)" \
	sh -c '[ "$1" = 1 ] && printf "%s\n" "$2" | grep -q "$3: kernel base 5.15 is not supported.*skipped" &&
		[ ! -e "$4" ]' - "$nskip" "$log" "$fake" "$root/var/lib/dkms/$name/$ver/$fake"
act=$(printf '%s\n' "$log" | grep 'not reloading' || true)
expect rpm/install-activation-asked "no line from kvm-fastpgd-activate in the rpm -i output" \
	sh -c 'printf "%s\n" "$1" | grep -q "running in a chroot: not reloading"' - "$act"
stat=$(in_root "$root" kvm-mmu-fastpgd status 2>&1 || true)
printf '%s\n' "$stat" | sed 's/^/  kvm-mmu-fastpgd status| /'
expect rpm/install-tool-status "kvm-mmu-fastpgd status does not show $kver installed and smoke-tested" \
	sh -c 'printf "%s\n" "$1" | awk -v k="$2" '"'"'$1 == k && $2 == "supported" && $3 == "installed" && $4 == "pass" { ok = 1 } END { exit !ok }'"'"'' \
	- "$stat" "$kver"
sum1=$(sha256sum "$root$dkms_ko/kvm.ko" | cut -d' ' -f1)

# rpm_upgrade DIR WHAT: rpm -U of the packages in /tmp/rpms/DIR, timed;
# sets rc and q (what rpm then says is installed)
rpm_upgrade() {
	rc=0
	t0=$(date +%s)
	log=$(rpm_in "-U --nodeps /tmp/rpms/$1/*.rpm" 2>&1) || rc=$?
	printf '%s\n' "$log" | sed "s/^/  rpm -U $1| /"
	echo "  rpm -U ($2): exit $rc in $(($(date +%s) - t0))s"
	q=$(in_root "$root" rpm -q "$name" "$name-dkms" 2>&1 | tr '\n' ' ')
}

# --- rpm -U to release 2 of the same version ---
rpm_upgrade r2 "release 2"
expect rpm/upgrade-exit "rpm -U exited $rc; installed: $q" \
	[ "$rc-$q" = "0-$name-$ver-2.x86_64 $name-dkms-$ver-2.noarch " ]
st=$(dkms_status)
expect rpm/upgrade-module-kept "after the release 1 -> 2 upgrade, dkms status: $st" \
	sh -c 'printf "%s\n" "$1" | grep -q "$2.*: installed"' - "$st" "$kver"
res=$(resolved kvm_amd)
sum2=$(sha256sum "$root$dkms_ko/kvm.ko" 2>/dev/null | cut -d' ' -f1)
expect rpm/upgrade-resolves-dkms "modprobe resolves: $res; kvm.ko before/after: $sum1/$sum2" \
	sh -c 'case "$1" in *"$2/kvm.ko "*"$2/kvm-amd.ko "*) ;; *) exit 1 ;; esac; [ "$3" = "$4" ]' - \
	"$res" "$dkms_ko" "$sum1" "$sum2"

# --- rpm -U to the next version: the old one leaves DKMS, the new one is
# installed (the old package's %preun removes only its own version) ---
rpm_upgrade v2 "version $nv"
expect rpm/version-upgrade-exit "rpm -U exited $rc; installed: $q" \
	[ "$rc-$q" = "0-$name-$nv-1.x86_64 $name-dkms-$nv-1.noarch " ]
st=$(dkms_status)
mv=$(in_root "$root" modinfo -F version "$dkms_ko/kvm.ko" 2>&1 || true)
res=$(resolved kvm_amd)
expect rpm/version-upgrade-only-new "dkms status: $st; kvm.ko version $mv; modprobe resolves: $res" \
	sh -c 'printf "%s\n" "$1" | grep -q "$3.*$4.*: installed" &&
		! printf "%s\n" "$1" | grep -q "$3[,/] *$5[,:]" && [ "$2" = "$4" ] &&
		case "$6" in *"$7/kvm.ko "*"$7/kvm-amd.ko "*) ;; *) exit 1 ;; esac' - \
	"$st" "$mv" "$name" "$nv" "$ver" "$res" "$dkms_ko"

# --- rpm -e ---
rc=0
t0=$(date +%s)
log=$(rpm_in "-e $name $name-dkms" 2>&1) || rc=$?
printf '%s\n' "$log" | sed 's/^/  rpm -e| /'
echo "  rpm -e: exit $rc in $(($(date +%s) - t0))s"
q=$(in_root "$root" rpm -qa 2>&1 | grep "$name" || true)
expect rpm/erase-exit "rpm -e exited $rc; still installed: $q" [ "$rc-$q" = 0- ]
st=$(dkms_status)
left=$(find "$root/lib/modules/$kver/updates" "$root/usr/src/$name-$ver" "$root/usr/src/$name-$nv" -name 'kvm*' 2>/dev/null | tr '\n' ' ')
expect rpm/erase-dkms-removed "dkms status: $st; left: $left" [ -z "$st$left" ]
state=$(find "$root/var/lib/$name" "$root/var/cache/$name" -maxdepth 0 2>/dev/null | tr '\n' ' ')
expect rpm/erase-state-removed "left after rpm -e: $state" [ -z "$state" ]
res=$(resolved kvm_amd)
res2=$(resolved kvm_intel)
stock=/lib/modules/$kver/kernel/arch/x86/kvm
expect rpm/erase-stock-resolves "modprobe resolves: $res / $res2" \
	sh -c 'case "$1" in *"$3/kvm.ko "*"$3/kvm-amd.ko "*) ;; *) exit 1 ;; esac
		case "$2" in *"$3/kvm.ko "*"$3/kvm-intel.ko "*) ;; *) exit 1 ;; esac' - "$res" "$res2" "$stock"
after=$(stock_sums)
expect rpm/stock-untouched "stock modules changed" [ "$before" = "$after" ]
