# A Debian system of a kernel base with this tree installed through DKMS,
# as the -dkms package would.  Sourced, after common.sh and chroot.sh.
# shellcheck shell=sh
# shellcheck disable=SC2034 # root, kver, dkms_* are set for the caller

KMF_VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$KMF_TOP/dkms.conf")

# dkms_root BASE: unpacks a fresh system for BASE into $root (and mounts its
# pseudo file systems; the caller calls drop_root when done),
# sets root, suite, kver, kver_pkg; then dkms add, build and install there.
# Sets dkms_failed to the failing step (empty on success) and
# dkms_build_secs to the build time.
dkms_root() {
	suite=$(suite_of_base "$1")
	# one system per run, so that runs can go on side by side
	root="$KMF_BUILD/roots/$suite.$$"
	dkms_failed=add
	dkms_build_secs=
	fresh_root "$suite" "$1" "$root" || return 1
	chroot_mounts "$root"
	kver=$(find "$root/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
	kver_pkg=$(in_root "$root" dpkg-query -W -f='${Version}' "linux-image-$kver")
	echo "Debian $suite, kernel $kver ($kver_pkg)"
	_dr_tree="$root/usr/src/kvm-mmu-fastpgd-$KMF_VERSION"
	mkdir -p "$_dr_tree"
	cp -a "$KMF_TOP/dkms.conf" "$KMF_TOP/src" "$KMF_TOP/patches" "$_dr_tree/"
	# the administrator's settings of the build (tests/suite.sh --conf)
	if [ -n "${KMF_BUILD_CONF:-}" ]; then
		printf '%s\n' "$KMF_BUILD_CONF" >"$root/etc/default/kvm-mmu-fastpgd"
		echo "settings of the build (/etc/default/kvm-mmu-fastpgd): $KMF_BUILD_CONF"
	fi
	_dr="-m kvm-mmu-fastpgd -v $KMF_VERSION"
	# shellcheck disable=SC2086
	step "dkms add ($suite)" in_root "$root" dkms add $_dr || return 0
	dkms_failed=build
	_dr_t0=$(date +%s)
	# shellcheck disable=SC2086
	step "dkms build for $kver" in_root "$root" dkms build $_dr -k "$kver" || return 0
	dkms_build_secs=$(($(date +%s) - _dr_t0))
	dkms_failed=install
	# shellcheck disable=SC2086
	step "dkms install for $kver" in_root "$root" dkms install $_dr -k "$kver" || return 0
	dkms_failed=
}

# drop_root: unmount and delete the system of dkms_root (KMF_KEEP=1 keeps it)
drop_root() {
	[ -z "${root:-}" ] || drop_system "$root"
}
