#!/bin/sh
# The Debian packages in real Debian 11 and 12 systems.  The .debs are built
# once on this (Debian 12) host, lintian-checked, and the same files are
# installed with apt, which resolves their dependencies from the archive
# (the packages the cached systems were provisioned with; no apt-get update
# except for bookworm-backports), in a fresh system per base:
#   - a host with only linux-image-amd64 (source and headers purged first):
#     apt-get install ./*.deb ends with our modules built, installed,
#     smoke-tested, resolving; the activation refuses to touch this host's
#     KVM from inside a chroot; the operator tool's status;
#   - the activation's decisions on fake /sys and /proc trees (--dry-run);
#   - the smoke test fails on a module with a wrong vermagic and removes
#     the DKMS install again (stock resolves);
#   - remove and purge: stock resolution, nothing of ours left; reinstall;
#   - kernel upgrade: with the newest kernel removed, the previous kernel
#     ABI (whose exact source is not in the archive any more) is installed
#     and skipped with apt's exit status 0, status says which source it
#     needs; installing the newest kernel again builds it;
#   - the dpkg trigger: reinstalling linux-source builds a kernel that has
#     no build;
#   - the system's kernel booted with its installed modules, under QEMU
#     (AMD) and Bochs (Intel): ours load, the tool's status says so, its
#     bench counts CR0 exits and no unloads; on Intel also the guest test,
#     the short benchmark, the correctness tests and the fuzzer (3,400
#     steps per configuration, fixed seed), stock vs installed
#     (KMF_DEB_BOOT=0 leaves the boots out, KMF_DEB_BOOT=amd the Bochs one);
#   - Debian 12: a bookworm-backports kernel (6.12, series included
#     upstream) is skipped, exit 0.
#
#   tests/deb.sh [BASE...] (default: 5.10 6.1)
# Transcript times: build/results/deb-times.txt
set -eu
KMF_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$KMF_TOP/tests/lib/common.sh"
. "$KMF_TOP/tests/lib/chroot.sh"
. "$KMF_TOP/tests/lib/result.sh"
. "$KMF_TOP/tests/lib/boot.sh"
. "$KMF_TOP/tests/lib/eval.sh"

# Everything below is in main(), which the shell parses whole before it runs
# any of it: a child process that moves the offset of the script's
# inherited file descriptor cannot make the shell read a different script.
# shellcheck disable=SC2317 # helpers defined here are called through expect
main() {

bases=${*:-5.10 6.1}
pkgver=$(dpkg-parsechangelog -l "$KMF_TOP/debian/changelog" -S Version)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$KMF_TOP/dkms.conf")
KMF_VERSION=$ver
debs="$KMF_BUILD/deb"
logs="$KMF_BUILD/logs"
times="$KMF_BUILD/results/deb-times.txt"
mkdir -p "$logs" "$KMF_BUILD/results"
: >"$times"

expect deb/version "debian/changelog is $pkgver, dkms.conf $ver" [ "${pkgver%-*}" = "$ver" ]

if ! step "build the Debian packages" sh "$KMF_TOP/debian/build-debs" "$debs"; then
	fail deb/build "dpkg-buildpackage failed"
	exit 0
fi
pass deb/build
lout=$(lintian --fail-on error,warning "$debs/kvm-mmu-fastpgd_${pkgver}_amd64.changes" 2>&1 |
	grep -v 'running with root privileges' || true)
printf '%s\n' "$lout" >"$logs/lintian.log"
[ -z "$lout" ] || printf '%s\n' "$lout" | sed 's/^/  lintian: /'
expect deb/lintian "lintian: $(printf '%s' "$lout" | head -n 3 | tr '\n' ';')" [ -z "$lout" ]

root=
trap 'exit 130' INT
trap 'exit 143' TERM
trap '[ -z "$root" ] || drop_system "$root"' EXIT

# apt_step NAME cmd...: a command inside the system, output to a log;
# sets rc, secs, out (the log file); records the time.
apt_step() {
	_as_n=$1
	shift
	out="$logs/deb-$suite-$_as_n.log"
	_as_t0=$(date +%s)
	rc=0
	in_root "$root" "$@" </dev/null >"$out" 2>&1 || rc=$?
	secs=$(($(date +%s) - _as_t0))
	echo "  $suite $_as_n: exit $rc in ${secs}s"
	echo "$suite $_as_n exit=$rc ${secs}s" >>"$times"
	[ "$rc" = 0 ] || tail -n 25 "$out" | sed 's/^/    | /'
}

installed_ver() {
	in_root "$root" dpkg-query -W -f='${db:Status-Abbrev} ${Version}\n' "$1" 2>/dev/null |
		awk '$1 ~ /^.i/ { print $2 }'
}

# ours K: our kvm.ko is installed for kernel K (with its fastpgd field)
ours() {
	_o=$(find_ko "$root/lib/modules/$1/updates/dkms" kvm) || return 1
	[ -n "$(in_root "$root" modinfo -F fastpgd "${_o#"$root"}" 2>/dev/null)" ]
}
# stock_resolves K: modprobe resolves kvm_amd and kvm_intel to the stock modules
stock_resolves() {
	for _m in kvm_amd kvm_intel; do
		_d=$(in_root "$root" modprobe -S "$1" --show-depends "$_m" 2>&1) || return 1
		printf '%s\n' "$_d" | grep -q "^insmod /lib/modules/$1/kernel/arch/x86/kvm/kvm\.ko" || return 1
		! printf '%s\n' "$_d" | grep -q /updates/ || return 1
	done
}
smoke_result() {
	cat "$root/var/lib/kvm-mmu-fastpgd/smoke/$1" 2>/dev/null || echo none
}

# The activation's decisions, on fake /sys and /proc trees, inside the
# system, against its kernel $kver and the modules now installed there.
# Nothing is loaded or unloaded: --dry-run, and a real run must refuse in
# the chroot.
activate_cases() {
	_t=$1 _loaded=$2 _want=$3
	fk="$root/tmp/fake"
	A=/usr/lib/kvm-mmu-fastpgd/kvm-fastpgd-activate
	_src() { in_root "$root" modinfo -F srcversion "$1"; }
	_stock=$(_src "/lib/modules/$kver/kernel/arch/x86/kvm/kvm.ko")
	_stock_amd=$(_src "/lib/modules/$kver/kernel/arch/x86/kvm/kvm-amd.ko")
	_ourf=$(find_ko "$root/lib/modules/$kver/updates/dkms" kvm | sed "s|^$root||") || _ourf=
	# (after a revert our files are gone: the srcversion saved at install)
	_ours=$([ -z "$_ourf" ] || _src "$_ourf")
	_ours=${_ours:-$ours_src}
	_mk() { # _mk KVM_SRCVERSION AMD_SRCVERSION KVM_REFCNT
		rm -rf "$fk"
		mkdir -p "$fk/sys/module/kvm/holders/kvm_amd" "$fk/sys/module/kvm/parameters" \
			"$fk/sys/module/kvm_amd/parameters" "$fk/proc/1/fd"
		# like the kernel: no srcversion for modules without a version (stock)
		[ -z "$1" ] || echo "$1" >"$fk/sys/module/kvm/srcversion"
		[ -z "$2" ] || echo "$2" >"$fk/sys/module/kvm_amd/srcversion"
		echo "$3" >"$fk/sys/module/kvm/refcnt"
		echo 0 >"$fk/sys/module/kvm_amd/refcnt"
		echo 200000 >"$fk/sys/module/kvm/parameters/halt_poll_ns"
		echo 1 >"$fk/sys/module/kvm_amd/parameters/npt"
		echo "kvm_amd 1 0 - Live 0x0" >"$fk/proc/modules"
		ln -s /dev/null "$fk/proc/1/fd/0"
	}
	_act() { # _act ARGS...: sets arc, aout
		arc=0
		aout=$(in_root "$root" env KMF_SYSFS=/tmp/fake/sys KMF_PROC=/tmp/fake/proc \
			KMF_KVER="$kver" "$A" "$@" 2>&1) || arc=$?
		echo "    activate $*: exit $arc: $(printf '%s' "$aout" | tail -n 1)"
	}
	# loaded: the other set, no users -> reload with the parameters
	if [ "$_loaded" = stock ]; then _mk "$_stock" "$_stock_amd" 1; else _mk "$_ours" x 1 && echo "$ver" >"$fk/sys/module/kvm/version"; fi
	_act --dry-run
	expect "$_t/activate/reloads-$_loaded-to-$_want" "exit $arc: $aout" sh -c '
		[ "$1" = 0 ] && printf "%s\n" "$2" | grep -q "would run: rmmod kvm_amd" &&
		printf "%s\n" "$2" | grep -q "would run: modprobe -S $3 kvm halt_poll_ns=200000" &&
		printf "%s\n" "$2" | grep -q "would run: modprobe -S $3 kvm_amd npt=1" &&
		printf "%s\n" "$2" | grep -q -- "-> $4 "' - "$arc" "$aout" "$kver" "$_want"
	# a VM runs: refused, with the count
	ln -s anon_inode:kvm-vm "$fk/proc/1/fd/7"
	ln -s /dev/kvm "$fk/proc/1/fd/8"
	_act --dry-run
	expect "$_t/activate/refuses-running-vm" "exit $arc: $aout" sh -c '
		[ "$1" = 3 ] && printf "%s\n" "$2" | grep -q "not reloading KVM: 1 VMs running" &&
		! printf "%s\n" "$2" | grep -q "would run"' - "$arc" "$aout"
	# no descriptor seen, but kvm holds a reference beyond its dependants
	rm "$fk/proc/1/fd/7" "$fk/proc/1/fd/8"
	echo 2 >"$fk/sys/module/kvm/refcnt"
	_act --dry-run
	expect "$_t/activate/refuses-extra-refcount" "exit $arc: $aout" sh -c '
		[ "$1" = 3 ] && printf "%s\n" "$2" | grep -q "kvm refcount 2"' - "$arc" "$aout"
	# the wanted set is already loaded
	if [ "$_want" = stock ]; then
		_mk "$_stock" "$_stock_amd" 1
	else
		_mk "$_ours" "$(_src "$(find_ko "$root/lib/modules/$kver/updates/dkms" kvm-amd | sed "s|^$root||")")" 1
		echo "$ver" >"$fk/sys/module/kvm/version"
	fi
	_act --dry-run
	expect "$_t/activate/nothing-to-do" "exit $arc: $aout" sh -c '
		[ "$1" = 0 ] && printf "%s\n" "$2" | grep -q "loaded KVM ($3) already is the installed one"' - "$arc" "$aout" \
		"$([ "$_want" = stock ] && echo stock || echo "fastpgd $ver")"
	# kvm not loaded
	rm -rf "$fk/sys/module/kvm" "$fk/sys/module/kvm_amd"
	_act --dry-run
	expect "$_t/activate/not-loaded" "exit $arc: $aout" sh -c '
		[ "$1" = 0 ] && printf "%s\n" "$2" | grep -q "kvm is not loaded"' - "$arc" "$aout"
	# a real run inside the chroot must refuse before looking further
	_mk "$_stock" "$_stock_amd" 1
	_act
	expect "$_t/activate/chroot-refused" "exit $arc: $aout" sh -c '
		[ "$1" = 4 ] && printf "%s\n" "$2" | grep -q "running in a chroot"' - "$arc" "$aout"
	rm -rf "$fk"
}

# boot_check: the system's kernel boots with an initramfs made from what
# the package installed under /lib/modules (our modules from updates/dkms,
# the stock ones for comparison) and the package's own static tool and VMM,
# once per vendor: QEMU TCG (AMD SVM+NPT) and Bochs (Intel VMX+EPT).  In
# each, tests/guest/debtool.sh loads ours and runs status, --json status and
# a short bench.  The Bochs boot also runs the guest test, the short
# benchmark, the correctness tests (nested VMX among them) and 3,400 fuzzer
# steps per configuration on the stock modules and on the installed ones (it is the Intel run of make check:
# tests/suite.sh runs AMD only there).
boot_check() {
	_bx=$(mktemp -d "${TMPDIR:-/tmp}/kmf-debboot.XXXXXX")
	mkdir -p "$_bx/usr/lib/kvm-mmu-fastpgd"
	# what status reads: the DKMS tree, our modules, the smoke results
	mkdir -p "$_bx/usr/src" "$_bx/lib/modules/$kver/kernel" "$_bx/lib/modules/$kver/updates" \
		"$_bx/var/lib/dkms/kvm-mmu-fastpgd/$ver"
	cp -a "$root/usr/src/kvm-mmu-fastpgd-$ver" "$_bx/usr/src/"
	cp -a "$root/lib/modules/$kver/updates/dkms" "$_bx/lib/modules/$kver/updates/"
	cp -a "$root/var/lib/kvm-mmu-fastpgd" "$_bx/var/lib/"
	cp "$root/usr/sbin/kvm-mmu-fastpgd" "$_bx/kvm-mmu-fastpgd"
	cp "$root/usr/lib/kvm-mmu-fastpgd/vmm" "$_bx/usr/lib/kvm-mmu-fastpgd/vmm"
	_bi="$KMF_BUILD/initrd-deb-$kver.$$.gz"
	if ! KMF_VMM="$root/usr/lib/kvm-mmu-fastpgd/vmm" step "initramfs from the installed system ($kver)" \
		mk_initramfs "$root" "$kver" "$_bi" "$_bx"; then
		fail "$t/boot/initramfs" "could not build the initramfs"
		rm -rf "$_bx"
		return 0
	fi
	rm -rf "$_bx"
	boot_vendor amd debtool 300 ""
	# the sizes of tests/suite.sh --quick for Bochs
	[ "${KMF_DEB_BOOT:-1}" = amd ] ||
		boot_vendor intel debtool,foundation,bench,correct,fuzz 1500 \
			"kmf.iters=20 kmf.titers=2 kmf.modes=64 kmf.fuzzsteps=3400 kmf.seed=$(fixed_fuzz_seed "$base")"
	rm -f "$_bi"
}

# boot_vendor VENDOR TESTS LIMIT ARGS: one boot of $kver with $_bi
boot_vendor() {
	_v=$1
	case $_v in
	amd) _what="QEMU TCG (AMD SVM+NPT)" ;;
	intel) _what="Bochs (Intel VMX+EPT)" ;;
	esac
	_bl="$logs/deb-boot-$kver-$_v.log"
	if ! step "boot $kver under $_what: $2" \
		"boot_$_v" "$root/boot/vmlinuz-$kver" "$_bi" "$_bl" "$2" "$3" "$4"; then
		fail "$t/boot/$_v" "no result from the booted kernel (log: $_bl)"
		return 0
	fi
	clog="$logs/deb-boot-$kver-$_v.txt"
	tr -d '\r' <"$_bl" >"$clog"
	_st="$KMF_BUILD/results/deb-status-$kver-booted-$_v.txt"
	_bn="$KMF_BUILD/results/deb-bench-$kver-booted-$_v.txt"
	sed -n '/^KMF-DEBTOOL-STATUS-BEGIN/,/^KMF-DEBTOOL-STATUS-END/p' "$clog" | sed '1d;$d' >"$_st"
	sed -n '/^KMF-DEBTOOL-BENCH-BEGIN/,/^KMF-DEBTOOL-BENCH-END/p' "$clog" | sed '1d;$d' >"$_bn"
	echo "    kvm-mmu-fastpgd status in the booted $kver ($_v):"
	sed 's/^/    booted| /' "$_st"
	sed 's/^/    bench| /' "$_bn"
	expect "$t/boot/$_v/ours-loaded" "$(grep '^KMF-DEBTOOL load' "$clog")" \
		grep -q "^KMF-DEBTOOL load=ok identity=fastpgd-$ver\$" "$clog"
	expect "$t/boot/$_v/status" "status exit or content (log: $clog)" sh -c '
		grep -q "^KMF-DEBTOOL-STATUS-END exit=0" "$1" &&
		grep -q "^loaded KVM: fastpgd $2 with kvm_$5\$" "$3" &&
		grep -q "^running kernel: $4\$" "$3" &&
		grep -Eq "^$4 +supported +installed +pass " "$3" &&
		grep -q "^loaded kvm is the installed DKMS build: yes" "$3"' - "$clog" "$ver" "$_st" "$kver" "$_v"
	expect "$t/boot/$_v/status-json" "$(grep '^KMF-DEBTOOL-JSON' "$clog")" sh -c '
		sed -n "s/^KMF-DEBTOOL-JSON //p" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin)[\"running\"]; sys.exit(not (d[\"kvm\"]==\"fastpgd\" and d[\"vendor_module\"]==\"kvm_\"+sys.argv[1] and d[\"vms\"]==0))" "$2"' - "$clog" "$_v"
	# the tool's bench ran on ours: CR0-write exits per toggle (2, or 0
	# where the guest owns CR0.WP: VMX with EPT on 6.1), and no root
	# unloaded
	_ex=$(awk '$1 == "64" && $2 == "toggle" { print $6 " " $7 }' "$_bn")
	expect "$t/boot/$_v/bench" "bench exit, or CR0-write exits and unloads per toggle '${_ex:-none}' (log: $clog)" sh -c '
		grep -q "^KMF-DEBTOOL-BENCH-END exit=0" "$1" && grep -q "stock numbers need the stock modules" "$1" &&
		echo "$2" | awk "{ exit !(NF == 2 && (\$1 == 2 || \$1 == 0) && \$2 == 0) }"' - "$clog" "${_ex:-}"
	case ,$2, in *,foundation,*)
		expect "$t/$_v/foundation/completed" "tests/guest/foundation.sh did not finish (log: $clog)" \
			grep -q '^KMF: test foundation exit status' "$clog"
		_tb="$KMF_BUILD/results/foundation-$kver-deb.txt"
		printf '%-6s %-8s %-15s %-6s %-8s %-8s\n' vendor modules identity tdp guest64 guestPAE >"$_tb"
		eval_foundation "$t/boot/foundation" "$_v" "$_tb"
		cat "$_tb" ;;
	esac
	case ,$2, in *,bench,*)
		expect "$t/$_v/bench/completed" "tests/guest/bench.sh did not finish (log: $clog)" \
			grep -q '^KMF: test bench exit status' "$clog"
		eval_bench "$t/boot/bench" "$_v" ;;
	esac
	case ,$2, in *,fuzz,*)
		expect "$t/$_v/fuzz/completed" "tests/guest/fuzz.sh did not finish (log: $clog)" \
			grep -q '^KMF: test fuzz exit status' "$clog"
		eval_fuzz "$t/boot/fuzz" "$_v" ;;
	esac
	case ,$2, in *,correct,*)
		expect "$t/$_v/correct/completed" "tests/guest/correct.sh did not finish (log: $clog)" \
			grep -q '^KMF: test correct exit status' "$clog"
		eval_correct "$t/boot/correct" "$_v" ;;
	esac
	_d=$(grep -c '^KMF-DMESG' "$clog" || true)
	expect "$t/boot/$_v/dmesg-clean" "WARN/BUG/leak in the booted kernel's log (see $clog)" [ "$_d" -eq 0 ]
}

one_base() {
	base=$1
	suite=$(suite_of_base "$base")
	t="deb/$base"
	root="$KMF_BUILD/roots/$suite-deb.$$"
	fresh_root "$suite" "$base" "$root" || { fail "$t/root" "no Debian $suite system"; return 0; }
	apt_cache_in "$root" "$suite"
	chroot_mounts "$root"
	kver=$(find "$root/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
	kver_pkg=$(installed_ver "linux-image-$kver")
	echo "Debian $suite, kernel $kver ($kver_pkg)"
	mkdir -p "$root/tmp/debs"
	cp "$debs"/kvm-mmu-fastpgd-dkms_"${pkgver}"_all.deb "$debs"/kvm-mmu-fastpgd_"${pkgver}"_amd64.deb "$root/tmp/debs/"
	D="/tmp/debs/kvm-mmu-fastpgd-dkms_${pkgver}_all.deb /tmp/debs/kvm-mmu-fastpgd_${pkgver}_amd64.deb"

	# a host with only linux-image-amd64
	apt_step make-stock-host apt-get purge -y -q "linux-source-$base" linux-headers-amd64 \
		"linux-headers-$kver"
	apt_step make-stock-host-autoremove apt-get autoremove --purge -y -q
	expect "$t/stock-host" "linux-source or headers still installed" sh -c \
		'[ -z "$1$2" ] && [ ! -e "$3" ]' - "$(installed_ver "linux-source-$base")" \
		"$(installed_ver "linux-headers-$kver")" "$root/lib/modules/$kver/build"

	# install: dependencies from the archive, build, smoke test
	# shellcheck disable=SC2086 # two file names
	apt_step install apt-get install -y -q $D
	expect "$t/install/apt" "apt-get install exit $rc (log: $out)" [ "$rc" = 0 ]
	expect "$t/install/source-dependency" "linux-source-$base is '$(installed_ver "linux-source-$base")', kernel $kver_pkg" \
		[ "$(installed_ver "linux-source-$base")" = "$kver_pkg" ]
	expect "$t/install/headers-recommended" "linux-headers-$kver not installed" \
		[ -n "$(installed_ver "linux-headers-$kver")" ]
	expect "$t/install/dkms-installed" "no kvm.ko of ours in updates/dkms for $kver" ours "$kver"
	sm=$(smoke_result "$kver")
	expect "$t/install/smoke-passed" "smoke result: $sm" sh -c \
		'case $1 in pass\ *) grep -q "$2: smoke test passed" "$3" ;; *) exit 1 ;; esac' - "$sm" "$kver" "$out"
	expect "$t/install/activation-refused-in-chroot" "postinst did not say it left this host's KVM alone (log: $out)" \
		grep -q 'running in a chroot: not reloading' "$out"
	(check_dkms_install "$t/install") || fail "$t/install/checks" "the vermagic/symbol/modprobe checks stopped early"
	st=$(in_root "$root" kvm-mmu-fastpgd status 2>&1) || st="exit $?: $st"
	printf '%s\n' "$st" >"$KMF_BUILD/results/deb-status-$kver-chroot.txt"
	printf '%s\n' "$st" | sed 's/^/    status| /'
	expect "$t/tool/status" "$(printf '%s' "$st" | grep "^$kver")" sh -c \
		'printf "%s\n" "$1" | grep -Eq "^$2 +supported +installed +pass "' - "$st" "$kver"
	js=$(in_root "$root" kvm-mmu-fastpgd --json status 2>&1) || js="exit $?: $js"
	expect "$t/tool/status-json" "$js" sh -c \
		'printf "%s\n" "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); k=[x for x in d[\"kernels\"] if x[\"kernel\"]==sys.argv[1]][0]; sys.exit(not (k[\"dkms\"]==\"installed\" and k[\"smoke\"].startswith(\"pass \") and d[\"package_version\"]==sys.argv[2]))" "$2" "$3"' \
		- "$js" "$kver" "$ver"
	ours_src=$(in_root "$root" modinfo -F srcversion "$(find_ko "$root/lib/modules/$kver/updates/dkms" kvm | sed "s|^$root||")")
	activate_cases "$t" stock fastpgd

	# the smoke test catches a bad module and puts the stock ones back
	ko=$(find_ko "$root/lib/modules/$kver/updates/dkms" kvm-amd)
	bad=$(echo "$kver" | sed 's/-[0-9]*-/-99-/')
	in_root "$root" perl -0777 -pi -e "s/vermagic=\\Q$kver\\E /vermagic=$bad /" "${ko#"$root"}"
	src=0
	sout=$(in_root "$root" /usr/lib/kvm-mmu-fastpgd/kvm-fastpgd-smoke --revert "$kver" 2>&1) || src=$?
	echo "    smoke on a bad module: exit $src: $sout"
	expect "$t/smoke-catches-bad-vermagic" "exit $src: $sout" sh -c \
		'[ "$1" = 1 ] && printf "%s\n" "$2" | grep -q "kvm-amd.ko vermagic is .$3.*DKMS install was removed"' - "$src" "$sout" "$bad"
	expect "$t/smoke-revert-stock-resolves" "our modules still resolve for $kver" stock_resolves "$kver"
	expect "$t/smoke-revert-recorded" "$(smoke_result "$kver")" sh -c 'case $1 in fail\ *vermagic*) ;; *) exit 1 ;; esac' - "$(smoke_result "$kver")"
	# ours still loaded, stock installed again: back to stock, same rules
	activate_cases "$t/reverted" fastpgd stock

	# remove, purge: stock resolves, nothing of ours is left
	apt_step remove apt-get remove -y -q kvm-mmu-fastpgd kvm-mmu-fastpgd-dkms
	expect "$t/remove/apt" "apt-get remove exit $rc" [ "$rc" = 0 ]
	expect "$t/remove/stock-resolves" "modprobe does not resolve the stock modules" stock_resolves "$kver"
	apt_step purge apt-get purge -y -q kvm-mmu-fastpgd kvm-mmu-fastpgd-dkms
	expect "$t/purge/apt" "apt-get purge exit $rc" [ "$rc" = 0 ]
	left=
	for p in var/lib/kvm-mmu-fastpgd var/cache/kvm-mmu-fastpgd/kvm-src \
		etc/kernel/postinst.d/zz-kvm-mmu-fastpgd "usr/src/kvm-mmu-fastpgd-$ver" \
		var/lib/dkms/kvm-mmu-fastpgd "lib/modules/$kver/updates/dkms/kvm.ko"; do
		[ ! -e "$root/$p" ] || left="$left $p"
	done
	expect "$t/purge/nothing-left" "left after purge: $left" [ -z "$left" ]
	expect "$t/purge/stock-resolves" "modprobe does not resolve the stock modules" stock_resolves "$kver"

	# reinstall
	# shellcheck disable=SC2086 # two file names
	apt_step reinstall apt-get install -y -q $D
	expect "$t/reinstall/apt" "apt-get install exit $rc (log: $out)" [ "$rc" = 0 ]
	expect "$t/reinstall/dkms-installed" "no kvm.ko of ours for $kver" ours "$kver"
	expect "$t/reinstall/smoke-passed" "$(smoke_result "$kver")" sh -c 'case $1 in pass\ *) ;; *) exit 1 ;; esac' - "$(smoke_result "$kver")"
	activate_cases "$t/reinstalled" stock fastpgd
	[ "${KMF_DEB_BOOT:-1}" = 0 ] || boot_check

	# Kernel upgrade: the newest kernel goes, an older one (the previous
	# ABI; its exact source is no longer in the archive) comes: it is
	# skipped with apt's exit status 0; then the newest kernel is
	# installed again, and DKMS builds it (kernel hooks, our trigger).
	apt_step drop-newest-kernel apt-get purge -y -q linux-image-amd64 linux-headers-amd64 \
		"linux-image-$kver" "linux-headers-$kver"
	expect "$t/upgrade/newest-kernel-gone" "apt exit $rc, modules: $(find "$root/lib/modules/$kver" -name 'kvm*.ko' 2>/dev/null | head -n 3)" \
		sh -c '[ "$1" = 0 ] && ! [ -e "$2/updates/dkms/kvm.ko" ]' - "$rc" "$root/lib/modules/$kver"
	k1=
	for c in $(in_root "$root" apt-cache pkgnames linux-image- | grep -E '^linux-image-[0-9.]+-[0-9]+-amd64$' |
		sed 's/^linux-image-//' | sort -rV | awk -v k="$kver" 'found { print } $0 == k { found = 1 }' | head -n 3); do
		apt_step "older-kernel-$c" apt-get install -y -q "linux-image-$c" "linux-headers-$c"
		if [ "$rc" = 0 ]; then
			k1=$c
			break
		fi
		grep -q '404' "$out" || break
	done
	if [ -z "$k1" ]; then
		fail "$t/upgrade/older-kernel" "no older kernel than $kver could be installed (log: $out)"
	else
		k1_pkg=$(installed_ver "linux-image-$k1")
		expect "$t/upgrade/no-source-kernel-skipped" "$k1: built, or no one-line reason naming linux-source-$base=$k1_pkg (log: $out)" \
			sh -c '! [ -e "$1" ] && grep -q "installed linux-source-$2 is .* but linux-image-$4 is $3: apt-get install linux-source-$2=$3" "$5"' \
			- "$root/lib/modules/$k1/updates/dkms/kvm.ko" "$base" "$k1_pkg" "$k1" "$out"
		st=$(in_root "$root" kvm-mmu-fastpgd status 2>&1) || true
		expect "$t/upgrade/status-says-why" "$(printf '%s' "$st" | grep "^$k1")" sh -c \
			'printf "%s\n" "$1" | grep -Eq "^$2 +supported +not built +none; .*apt-get install linux-source-$3=$4"' - "$st" "$k1" "$base" "$k1_pkg"
		apt_step newest-kernel apt-get install -y -q linux-image-amd64 linux-headers-amd64
		expect "$t/upgrade/newest-kernel-apt-ok" "apt-get install linux-image-amd64 exit $rc" [ "$rc" = 0 ]
		expect "$t/upgrade/newest-kernel-built" "no kvm.ko of ours for $kver after its installation (log: $out)" ours "$kver"
		expect "$t/upgrade/newest-kernel-smoke" "$(smoke_result "$kver")" sh -c 'case $1 in pass\ *) ;; *) exit 1 ;; esac' - "$(smoke_result "$kver")"
		expect "$t/upgrade/older-kernel-still-skipped" "$k1 has modules of ours" sh -c '! [ -e "$1" ]' - "$root/lib/modules/$k1/updates/dkms/kvm.ko"
	fi
	# the linux-source trigger: a kernel without a build gets one when
	# the source tarball is (re)installed
	in_root "$root" dkms remove -m kvm-mmu-fastpgd -v "$ver" -k "$kver" >/dev/null 2>&1 || true
	apt_step source-trigger apt-get install -y -q --reinstall "linux-source-$base"
	expect "$t/trigger/apt-ok" "apt-get install --reinstall linux-source-$base exit $rc" [ "$rc" = 0 ]
	expect "$t/trigger/built" "no kvm.ko of ours for $kver after linux-source-$base was reinstalled (log: $out)" \
		sh -c '[ -e "$1" ] && grep -q "Processing triggers for kvm-mmu-fastpgd-dkms" "$2"' \
		- "$(find_ko "$root/lib/modules/$kver/updates/dkms" kvm || echo none)" "$out"

	# Debian 12: a bookworm-backports kernel (series included upstream)
	if [ "$suite" = bookworm ]; then
		echo "deb $(mirror_uri) bookworm-backports main" >"$root/etc/apt/sources.list.d/bpo.list"
		apt_step backports-update apt-get update -q -o Dir::Etc::SourceList=/etc/apt/sources.list.d/bpo.list \
			-o Dir::Etc::SourceParts=- -o APT::Get::List-Cleanup=0
		apt_step backports-kernel apt-get install -y -q -t bookworm-backports linux-image-amd64 linux-headers-amd64
		kb=$(find "$root/lib/modules" -mindepth 1 -maxdepth 1 -name '6.1[0-9]*' -printf '%f\n' | sort -V | tail -n 1)
		expect "$t/unsupported/apt-ok" "apt-get install of the backports kernel exit $rc" [ "$rc" = 0 ]
		expect "$t/unsupported/skipped" "backports kernel '$kb': built, or no reason given (log: $out)" sh -c \
			'[ -n "$1" ] && [ ! -e "$2/lib/modules/$1/updates/dkms/kvm.ko" ] && grep -q "$1 already contains upstream.s CR0.WP fix.*using the kernel.s own KVM" "$3"' \
			- "$kb" "$root" "$out"
		st=$(in_root "$root" kvm-mmu-fastpgd status 2>&1) || true
		printf '%s\n' "$st" | sed 's/^/    status| /'
		expect "$t/unsupported/status-included" "$(printf '%s' "$st" | grep "^$kb")" sh -c \
			'printf "%s\n" "$1" | grep -Eq "^$2 +included +not built "' - "$st" "$(echo "$kb" | sed 's/[.+]/[&]/g')"
	fi

	apt_cache_out "$root" "$suite"
	drop_system "$root"
	root=
}

for b in $bases; do
	one_base "$b"
done
echo "transcript times:"
sed 's/^/  /' "$times"
}
main "$@"; exit
