# The kernel's own KVM selftests, built from the same linux-source as the
# target kernel, statically, inside the Debian system.  Sourced.
# shellcheck shell=sh
# shellcheck disable=SC2154 # root, suite, kver_pkg: set by dkms_root

# Inside the system: unpack the source, build tools/testing/selftests/kvm
# static, copy the x86 test programs (stripped) to $1.
_selftests_build_in_root() {
	in_root "$root" sh -euc '
		out=$1 base=$2
		rm -rf /tmp/ksrc "$out" && mkdir -p /tmp/ksrc "$out"
		tar -C /tmp/ksrc -xJf "/usr/src/linux-source-$base.tar.xz"
		cd "/tmp/ksrc/linux-source-$base"
		# -k: a test that does not build in this source (6.1.192 has a
		# dirty_log_test that uses a helper its tree lacks) is listed,
		# the others still run
		make -k -s -C tools/testing/selftests/kvm -j"$(nproc)" \
			LDFLAGS="-static -pthread -no-pie" >/tmp/ksrc/build.log 2>&1 ||
			tail -n 20 /tmp/ksrc/build.log
		sed -n "s/.*lib\.mk:[0-9]*: \(.*\)\] Error [0-9]*\$/\1/p" /tmp/ksrc/build.log |
			xargs -r -n 1 basename >"$out/.build-failed"
		cd tools/testing/selftests/kvm
		for f in x86_64/* *; do
			[ -f "$f" ] && [ -x "$f" ] || continue
			[ "$(head -c 4 "$f" | tail -c 3)" = ELF ] || continue
			strip -o "$out/$(basename "$f")" "$f"
		done
		rm -rf /tmp/ksrc
	' - "$1" "$2"
}

# selftests_dir BASE: directory (outside the system) holding the test
# programs for the system's source version; built on first use.
selftests_dir() {
	_sd="$KMF_CACHE/selftests/$kver_pkg"
	if [ -f "$_sd/.ok" ]; then
		echo "$_sd"
		return 0
	fi
	rm -rf "$_sd"
	step "build the KVM selftests of Linux $kver_pkg (static, inside Debian $suite)" \
		_selftests_build_in_root /tmp/kmf-selftests "$1" || return 1
	if [ -z "$(ls "$root/tmp/kmf-selftests" 2>/dev/null)" ]; then
		note "the selftests build produced no test programs"
		return 1
	fi
	mkdir -p "$(dirname "$_sd")"
	cp -a "$root/tmp/kmf-selftests" "$_sd"
	touch "$_sd/.ok"
	echo "$_sd"
}
