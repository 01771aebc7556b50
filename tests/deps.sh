#!/bin/sh
# Install the host packages the tests use (Debian 12), if any is missing.
set -eu
pkgs="debootstrap qemu-system-x86 bochs bochs-term bochsbios vgabios
 grub-pc-bin grub-common xorriso mtools busybox-static cpio gzip xz-utils zstd
 gcc make libc6-dev shellcheck util-linux
 dpkg-dev debhelper dh-dkms lintian python3 rpm rpmlint patch perl"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^.i' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "==> installing:$missing" >&2
	apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi
