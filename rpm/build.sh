#!/bin/sh
# make rpm: the source tarball from the tree, then rpmbuild -ba.
#   rpm/build.sh [OUTDIR [RELEASE]]   (defaults: build/rpm, the spec's 1)
# The tarball holds the files git tracks, as they are in the work tree (no
# hand-kept file list); outside a git checkout, every file but build/.
# OUTDIR gets rpmbuild's tree: SRPMS/ and RPMS/ hold the results.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/rpm}
release=${2:-}
spec=$top/rpm/kvm-mmu-fastpgd.spec
name=kvm-mmu-fastpgd

die() {
	printf 'rpm/build.sh: %s\n' "$*" >&2
	exit 1
}

command -v rpmbuild >/dev/null 2>&1 || die "rpmbuild not found (Debian: apt-get install rpm)"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
sver=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
if [ -z "$ver" ] || [ "$ver" != "$sver" ]; then
	die "dkms.conf has PACKAGE_VERSION $ver but $spec has Version $sver: make them equal"
fi
case $release in
'' | [0-9]*) ;;
*) die "release '$release' must start with a digit" ;;
esac

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/BUILD" "$out/BUILDROOT" "$out/SOURCES" "$out/SPECS" "$out/RPMS" "$out/SRPMS"
mkdir -p "$out/SOURCES" "$out/SPECS"

# source tarball, reproducible: sorted names, fixed owner, the last
# commit's time (or the spec's) as every file's time
tarball=$out/SOURCES/$name-$ver.tar.gz
cd "$top"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mtime=$(git log -1 --format=%ct 2>/dev/null || stat -c %Y "$spec")
	# tracked files that still exist (a deleted one is not in the tree)
	git ls-files -z | xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' - |
		tar --null -T - --sort=name --owner=0 --group=0 --numeric-owner \
			--mtime="@$mtime" --transform "s,^,$name-$ver/," -cf - |
		gzip -n -9 >"$tarball"
else
	mtime=$(stat -c %Y "$spec")
	tar --exclude=./build --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime="@$mtime" --transform "s,^\\.,$name-$ver," -cf - . |
		gzip -n -9 >"$tarball"
fi

# the spec, with the release asked for
if [ -n "$release" ]; then
	sed "s/^Release:.*/Release:        $release%{?dist}/" "$spec" >"$out/SPECS/$name.spec"
else
	cp "$spec" "$out/SPECS/$name.spec"
fi

# On a host whose packages rpm does not manage (Debian: its rpm database
# is empty), rpmbuild cannot see the BuildRequires: check them here.
nodeps=
if ! rpm -q rpm >/dev/null 2>&1; then
	for t in gcc make; do
		command -v "$t" >/dev/null 2>&1 || die "$t is needed to build the RPMs"
	done
	nodeps=--nodeps
	echo "rpm/build.sh: rpm does not manage this host's packages: build requirements (gcc, make) checked by hand, rpmbuild --nodeps"
fi
# Debian's rpm 4.18 runs brp-compress (man pages) with /bin/sh, but it needs
# bash (read -d): give it bash where /bin/sh is another shell.  (Nor does
# Debian's rpm split binaries into -debuginfo packages as Fedora's
# redhat-rpm-config does; they stay unstripped here.)
set --
case $(rpm --eval '%{?__brp_compress}') in
"$(rpm --eval '%{_rpmconfigdir}')"/brp-compress*)
	[ "$(readlink -f /bin/sh)" = "$(readlink -f /bin/bash)" ] ||
		set -- "$@" --define "__brp_compress bash %{_rpmconfigdir}/brp-compress %{_prefix}"
	;;
esac
rpmbuild -ba $nodeps "$@" --define "_topdir $out" "$out/SPECS/$name.spec"
echo "rpm/build.sh: results:"
find "$out/SRPMS" "$out/RPMS" -name '*.rpm' | sort
