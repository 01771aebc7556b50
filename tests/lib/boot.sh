# Boot a Debian kernel with a test initramfs under QEMU (AMD SVM+NPT, TCG)
# or Bochs (Intel VMX+EPT), and collect its serial console.  Sourced.
# shellcheck shell=sh

# copy_ko SRC DEST: a module file, decompressed if the kernel ships it
# compressed (the initramfs' busybox insmod takes plain .ko files).
copy_ko() {
	case $1 in
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

# find_ko DIR NAME: the module file NAME(.ko[.xz|.zst|.gz]) in DIR
find_ko() {
	for _f in "$1/$2.ko" "$1/$2.ko.xz" "$1/$2.ko.zst" "$1/$2.ko.gz"; do
		[ -f "$_f" ] && { echo "$_f"; return 0; }
	done
	return 1
}

# mk_initramfs ROOT KVER OUT [EXTRA]: the test initramfs for the kernel KVER
# of the Debian system ROOT, with the stock modules and those DKMS installed,
# plus the contents of the directory EXTRA if given.
mk_initramfs() {
	_root=$1 _kver=$2 _out=$3 _extra=${4:-}
	_st=$(mktemp -d "${TMPDIR:-/tmp}/kmf-initramfs.XXXXXX")
	mkdir -p "$_st/bin" "$_st/proc" "$_st/sys" "$_st/dev" "$_st/tmp" \
		"$_st/modules/stock" "$_st/modules/fastpgd" "$_st/modules/deps" \
		"$_st/tests"
	cp /bin/busybox "$_st/bin/busybox" || return
	cp "$KMF_TOP/tests/guest/init" "$_st/init" || return
	cp "$KMF_TOP"/tests/guest/*.sh "$_st/tests/" || return
	cp "$KMF_VMM" "$_st/vmm" || return
	_mods="$_root/lib/modules/$_kver"
	for _m in kvm kvm-intel kvm-amd; do
		_f=$(find_ko "$_mods/kernel/arch/x86/kvm" "$_m") ||
			{ note "no stock $_m module for $_kver"; return 1; }
		copy_ko "$_f" "$_st/modules/stock/$_m.ko" || return
		_f=$(find_ko "$_mods/updates/dkms" "$_m") ||
			{ note "no DKMS-built $_m module for $_kver in updates/dkms"; return 1; }
		copy_ko "$_f" "$_st/modules/fastpgd/$_m.ko" || return
	done
	# everything kvm_intel and kvm_amd depend on, except KVM itself
	{
		in_root "$_root" modprobe -S "$_kver" --show-depends kvm_intel &&
			in_root "$_root" modprobe -S "$_kver" --show-depends kvm_amd
	} | awk '$1 == "insmod" && $2 !~ /\/kvm(-intel|-amd)?\.ko/ && !seen[$2]++ { print $2 }' \
			>"$_st/deps.list" || return
	: >"$_st/modules/deps.order"
	while read -r _f; do
		_n=$(basename "$_f" | sed 's/\.ko.*//')
		copy_ko "$_root$_f" "$_st/modules/deps/$_n.ko" || return
		echo "$_n.ko" >>"$_st/modules/deps.order"
	done <"$_st/deps.list"
	rm -f "$_st/deps.list"
	if [ -n "$_extra" ]; then
		cp -a "$_extra/." "$_st/" || return
	fi
	(cd "$_st" && find . | cpio -o -H newc --quiet | gzip -1) >"$_out" || return
	rm -rf "$_st"
}

# wait_console LOG PID TIMEOUT: wait until the test in the guest reports it
# is done, the emulator exits, or the time limit is reached.
wait_console() {
	_log=$1 _pid=$2 _limit=$3
	_t=0
	while [ "$_t" -lt "$_limit" ]; do
		grep -q '^KMF: done' "$_log" 2>/dev/null && return 0
		kill -0 "$_pid" 2>/dev/null || break
		sleep 2
		_t=$((_t + 2))
	done
	grep -q '^KMF: done' "$_log" 2>/dev/null && return 0
	if kill -0 "$_pid" 2>/dev/null; then
		note "time limit of ${_limit}s reached; console log follows"
	else
		note "emulator exited before the test finished; console log follows"
	fi
	tail -n 80 "$_log" | sed 's/^/    | /' >&2
	return 1
}

stop_emulator() {
	kill "$1" 2>/dev/null || true
	sleep 1
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# stop_bochs PID DIR: script(1) runs bochs-bin, which ignores SIGTERM while
# it simulates; kill it by its configuration path
stop_bochs() {
	stop_emulator "$1"
	pkill -9 -f "bochs-bin .*$2/bochsrc" 2>/dev/null || true
	# the screen reader ends when the pty goes away; be sure
	[ -z "${bochs_reader:-}" ] || kill "$bochs_reader" 2>/dev/null || true
}

# boot_amd VMLINUZ INITRD LOG TEST [TIMEOUT] [EXTRA CMDLINE]
# The console shows kernel messages below KERN_ERR only (loglevel=3):
# errors such as "kvm: vcpu1 ... disabled perfctr wrmsr" would otherwise
# cut into the lines the tests print; WARNs and errors still reach the
# results through the guest's own dmesg report (tests/guest/init).
boot_amd() {
	rm -f "$3"
	qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m "${KMF_MEM:-1024}" \
		-display none -serial "file:$3" -monitor none -no-reboot \
		-kernel "$1" -initrd "$2" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3 kmf.test=$4 ${6:-}" &
	_pid=$!
	if wait_console "$3" "$_pid" "${5:-300}"; then
		stop_emulator "$_pid"
		return 0
	fi
	stop_emulator "$_pid"
	return 1
}

# bochs_screen_reader TERMLOG PID: Debian's bochs is a debugger build, and
# there the term display draws the VGA screen on a pty of its own, printing
# 'Bochs connected to screen "/dev/pts/N"', for someone to read.  Unread,
# the cursor updates fill that pty's buffer after some minutes and bochs-bin
# blocks in write(2): the test kernel seems to stop (it was: issue 4).  So
# read it, raw and without echo (echo would feed the screen back to Bochs as
# keystrokes).  Sets bochs_reader to the reader's process id (empty if this
# Bochs has no such screen).
bochs_screen_reader() {
	bochs_reader=
	_bs_t=0
	while [ "$_bs_t" -lt 60 ]; do
		_bs_pts=$(tr -d '\r' <"$1" 2>/dev/null |
			sed -n 's|.*Bochs connected to screen "\(/dev/pts/[0-9]*\)".*|\1|p' | head -n 1)
		if [ -n "$_bs_pts" ]; then
			(stty raw -echo && exec cat) <"$_bs_pts" >/dev/null 2>&1 &
			bochs_reader=$!
			return 0
		fi
		kill -0 "$2" 2>/dev/null || return 0
		sleep 1
		_bs_t=$((_bs_t + 1))
	done
}

# bochs_state DIR: one line on the Bochs of DIR (for a run that timed out):
# its state, CPU time and the kernel function it waits in
bochs_state() {
	_bst_p=$(pgrep -f "bochs-bin .*$1/bochsrc" | head -n 1)
	[ -n "$_bst_p" ] || { echo "bochs-bin: not running"; return 0; }
	echo "bochs-bin: state $(awk '{ print $3 ", cpu " ($14 + $15) / 100 "s" }' "/proc/$_bst_p/stat"), waiting in $(cat "/proc/$_bst_p/wchan" 2>/dev/null)"
}

# boot_intel VMLINUZ INITRD LOG TEST [TIMEOUT] [EXTRA CMDLINE]
boot_intel() {
	_d=$(mktemp -d "${TMPDIR:-/tmp}/kmf-bochs.XXXXXX")
	mkdir -p "$_d/iso/boot/grub"
	cp "$1" "$_d/iso/boot/vmlinuz" && cp "$2" "$_d/iso/boot/initrd" || return
	cat >"$_d/iso/boot/grub/grub.cfg" <<EOF
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
menuentry kmf {
	linux /boot/vmlinuz console=ttyS0 panic=-1 quiet loglevel=3 kmf.test=$4 ${6:-}
	initrd /boot/initrd
}
EOF
	grub-mkrescue -o "$_d/boot.iso" "$_d/iso" >"$_d/grub-mkrescue.log" 2>&1 ||
		{ cat "$_d/grub-mkrescue.log" >&2; return 1; }
	cat >"$_d/bochsrc" <<EOF
megs: ${KMF_MEM:-768}
cpu: model=corei7_skylake_x, count=1, ips=100000000
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$_d/boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$3
display_library: term
log: $_d/bochs.log
panic: action=fatal
error: action=report
clock: sync=none, time0=local
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
EOF
	echo c >"$_d/rc"
	rm -f "$3"
	script -qfc "bochs -q -f $_d/bochsrc -rc $_d/rc" /dev/null \
		>"$_d/term.log" 2>&1 </dev/null &
	_pid=$!
	bochs_screen_reader "$_d/term.log" "$_pid"
	if wait_console "$3" "$_pid" "${5:-600}"; then
		stop_bochs "$_pid" "$_d"
		rm -rf "$_d"
		return 0
	fi
	bochs_state "$_d" | sed 's/^/    /' >&2
	stop_bochs "$_pid" "$_d"
	tail -n 20 "$_d/bochs.log" | sed 's/^/    bochs| /' >&2
	return 1
}
