# Debian systems for the tests: debootstrap once, provision with apt, cache
# as a tarball, unpack a fresh copy per test run.  Sourced.
# shellcheck shell=sh

# Packages a build host needs besides the kernel itself.
# (rsync: the selftests' headers_install.)  The cached system's name carries
# a hash of this list, so changing it makes a new one.
KMF_ROOT_PKGS="build-essential dkms kmod xz-utils bc libelf-dev ca-certificates rsync"

# chroot_mounts DIR / chroot_umounts DIR: the pseudo file systems that apt,
# dkms and depmod expect.
chroot_mounts() {
	mountpoint -q "$1/proc" || mount -t proc proc "$1/proc"
	mountpoint -q "$1/sys" || mount -t sysfs sysfs "$1/sys"
	mountpoint -q "$1/dev" || mount --bind /dev "$1/dev"
	mountpoint -q "$1/dev/pts" || mount --bind /dev/pts "$1/dev/pts"
}

chroot_umounts() {
	for _m in dev/pts dev sys proc var/cache/apt/archives var/cache/kmf-sources; do
		if mountpoint -q "$1/$_m"; then
			umount "$1/$_m" || umount -l "$1/$_m"
		fi
	done
}

# drop_system DIR: unmount what the tests mounted in a system, then delete
# it, but only if nothing is mounted below it any more: deleting through a
# bind-mounted /dev would delete the host's device nodes.  KMF_KEEP=1 keeps
# it, unless a second argument "always" is given.
drop_system() {
	chroot_umounts "$1" 2>/dev/null || true
	if awk -v d="$1/" 'index($2, d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
		note "file systems still mounted under $1: not deleting it"
		return 0
	fi
	if [ "${KMF_KEEP:-}" != 1 ] || [ "${2:-}" = always ]; then
		rm -rf "$1"
	fi
}

# apt_cache_in ROOT SUITE / apt_cache_out ROOT SUITE: apt's archive of a
# test system as hard links to the shared download cache (not a bind
# mount: apt locks the directory, and other tests' systems use it at the
# same time); what the system downloaded is linked back afterwards.
apt_cache_in() {
	_ac="$KMF_CACHE/debs/$2"
	mkdir -p "$_ac" "$1/var/cache/apt/archives/partial"
	for _f in "$_ac"/*.deb; do
		[ -e "$_f" ] || continue
		ln "$_f" "$1/var/cache/apt/archives/" 2>/dev/null || cp "$_f" "$1/var/cache/apt/archives/"
	done
}

apt_cache_out() {
	_ac="$KMF_CACHE/debs/$2"
	for _f in "$1"/var/cache/apt/archives/*.deb; do
		if [ -e "$_f" ] && [ ! -e "$_ac/${_f##*/}" ]; then
			ln "$_f" "$_ac/" 2>/dev/null || cp "$_f" "$_ac/"
		fi
	done
}

# in_root DIR cmd...: run a command inside the system, non-interactively.
in_root() {
	_r=$1
	shift
	chroot "$_r" /usr/bin/env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

_write_sources() {
	_r=$1 _suite=$2
	_m=$(mirror_uri)
	_s=$(security_uri)
	[ -n "$_m" ] || die "no Debian mirror in this machine's apt configuration (set MIRROR=)"
	{
		echo "deb $_m $_suite main"
		[ -z "$_s" ] || echo "deb $_s $_suite-security main"
	} >"$_r/etc/apt/sources.list"
}

# Each command is checked explicitly: this runs under step(), where
# "set -e" is not in force.
_provision_root() {
	_r=$1 _suite=$2 _base=$3
	_debs="$KMF_CACHE/debs/$_suite"
	mkdir -p "$_debs" || return
	debootstrap --variant=minbase --cache-dir="$_debs" "$_suite" "$_r" \
		"$(mirror_uri)" || return
	_write_sources "$_r" "$_suite" || return
	printf '#!/bin/sh\nexit 101\n' >"$_r/usr/sbin/policy-rc.d" || return
	chmod 755 "$_r/usr/sbin/policy-rc.d" || return
	# keep downloaded packages outside the system, across runs
	mount --bind "$_debs" "$_r/var/cache/apt/archives" || return
	chroot_mounts "$_r" || return
	in_root "$_r" apt-get update -q || return
	# shellcheck disable=SC2086 # a list of package names
	in_root "$_r" apt-get install -y -q --no-install-recommends \
		linux-image-amd64 linux-headers-amd64 $KMF_ROOT_PKGS || return
	_kver=$(find "$_r/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' |
		sort -V | tail -n 1)
	_ver=$(in_root "$_r" dpkg-query -W -f='${Version}' "linux-image-$_kver") || return
	in_root "$_r" apt-get install -y -q --no-install-recommends \
		"linux-source-$_base=$_ver" || return
	chroot_umounts "$_r"
}

# root_tarball SUITE BASE: path of the cached, provisioned system; built on
# first use.
root_tarball() {
	_suite=$1 _base=$2
	_key=$(echo "$KMF_ROOT_PKGS" | sha256sum | cut -c1-8)
	_tar="$KMF_CACHE/roots/$_suite-$_key.tar.zst"
	if [ -s "$_tar" ] && [ -f "$_tar.ok" ]; then
		echo "$_tar"
		return 0
	fi
	mkdir -p "$KMF_CACHE/roots"
	_tmp="$KMF_CACHE/roots/$_suite-$_key.tmp"
	chroot_umounts "$_tmp" 2>/dev/null || true
	rm -rf "$_tmp" "$_tar" "$_tar.ok"
	mkdir -p "$_tmp"
	if ! step "debootstrap and provision Debian $_suite (cold cache: several minutes)" \
		_provision_root "$_tmp" "$_suite" "$_base"; then
		chroot_umounts "$_tmp"
		return 1
	fi
	step "pack $_tar" tar -C "$_tmp" --zstd -cf "$_tar" . || return 1
	rm -rf "$_tmp"
	touch "$_tar.ok"
	# systems made from an older package list are of no further use
	for _old in "$KMF_CACHE/roots/$_suite".tar.zst "$KMF_CACHE/roots/$_suite"-*.tar.zst; do
		[ "$_old" = "$_tar" ] || rm -f "$_old" "$_old.ok"
	done
	echo "$_tar"
}

# fresh_root SUITE BASE DIR: a fresh copy of the system in DIR.  Tests may
# run side by side: the first to need a system makes it, the others wait.
fresh_root() {
	mkdir -p "$KMF_CACHE/roots"
	_tar=$(flock "$KMF_CACHE/roots/.lock" sh -c 'KMF_TOP=$1; . "$1/tests/lib/common.sh"; . "$1/tests/lib/chroot.sh"; root_tarball "$2" "$3"' \
		- "$KMF_TOP" "$1" "$2") || return 1
	if [ -d "$3" ]; then
		drop_system "$3" always
		[ ! -d "$3" ] || die "cannot replace $3: file systems are still mounted below it"
	fi
	mkdir -p "$3"
	step "unpack Debian $1 system into $3" tar -C "$3" --zstd -xf "$_tar"
}
