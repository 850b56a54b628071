# Host side shared by tests/vm/pkg-test (.debs, Debian 12) and tests/vm/rpm-test
# (RPMs, Debian 11): the run dir, loop-mounted copies of a guest image, steps
# run on the host, and boots with systemd as PID 1 whose guest side is
# pkg/guest-run.sh. Sourced (bash) after results.sh; wants from the sourcing
# script: HERE, PROG, KEEP, KEEP_DISKS, TIMEOUT, IMG (the image dir), say MSG.
#
#   pkgvm_run_dir PREFIX      RUN = --keep-logs DIR (emptied of an older run's logs
#                             and disks) or a new /tmp/PREFIX.XXXXXX; sets the EXIT trap
#   img_mount FILE / img_umount   loop-mount a disk copy at $MNT (+ /proc, /sys, /dev)
#                             for chroot, no service started by package scripts / undo
#   in_root CMD...            CMD in the chroot of $MNT
#   check WHAT CMD...         fail the host step with WHAT unless CMD succeeds
#   install_payload TESTDIR   the guest runner, its unit, lib.sh, pkg/pkglib.sh,
#                             TESTDIR/*.sh and toa-peer/toa-server into $MNT
#   host_step NAME FUNC       a step on the host, reported like a guest test (HOST_OK)
#   not_run REASON NAME...    tests that could not run, as failed
#   boot NAME DISK TEST...    boot DISK, run the TESTs, report them (BOOT_APPEND: more
#                             kernel parameters; BOOT_KERNEL, BOOT_INITRD: another
#                             kernel than the image's); 0 if the guest got to VTOA-DONE
# (PKGVM_BG_PID: a background subshell of the caller's, e.g. a second disk's
# steps; sent TERM and waited for on exit, before the disks are removed)
# shellcheck shell=bash disable=SC2034   # HOST_OK, QEMU, VM_LOG, T0: read by the caller and results.sh

pkgvm_run_dir() {
    if [[ -n "$KEEP" ]]; then
        mkdir -p "$KEEP"
        RUN=$(cd "$KEEP" && pwd)
        rm -rf "${RUN:?}"/boot-* "$RUN"/host-*.log "$RUN"/*.img
    else
        RUN=$(mktemp -d "/tmp/$1.XXXXXX")
    fi
    trap pkgvm_cleanup EXIT
    trap 'echo "$PROG: interrupted; logs in $RUN" >&2; exit 130' INT TERM
}
MNT=
MOUNTS=()
QPID=
BOOT_APPEND=
umount_all() {
    local i
    for (( i = ${#MOUNTS[@]} - 1; i >= 0; i-- )); do
        umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" 2>/dev/null || true
    done
    MOUNTS=()
    [[ -z "$MNT" ]] || rmdir "$MNT" 2>/dev/null || true
    MNT=
    return 0
}
pkgvm_cleanup() {
    local m
    # steps the caller runs in the background (PKGVM_BG_PID: a subshell that
    # kills its own qemu on TERM)
    if [[ -n "${PKGVM_BG_PID:-}" ]] && kill -0 "$PKGVM_BG_PID" 2>/dev/null; then
        kill -TERM "$PKGVM_BG_PID" 2>/dev/null || true
        wait "$PKGVM_BG_PID" 2>/dev/null || true
    fi
    if [[ -n "$QPID" ]] && kill -0 "$QPID" 2>/dev/null; then
        kill "$QPID" 2>/dev/null || true
        sleep 1
        kill -9 "$QPID" 2>/dev/null || true
    fi
    umount_all
    # mounts a host step (a subshell) left behind when it was killed
    while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done < <(awk -v p="$RUN/mnt." 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r)
    (( KEEP_DISKS )) || rm -f -- "$RUN"/*.img
    rm -f -- "$RUN"/boot-*/.results.txt
}

# ------------------------------------------------------------------ the image copies, from the host
# img_mount FILE: loop-mount a disk copy at $MNT with /proc, /sys, /dev for chroot
img_mount() {
    MNT=$(mktemp -d "$RUN/mnt.XXXXXX")
    mount -o loop "$1" "$MNT" || { rmdir "$MNT"; MNT=; echo "cannot loop-mount $1 (no loop devices? modprobe loop)"; return 1; }
    MOUNTS+=("$MNT")
    mount -t proc proc "$MNT/proc" && MOUNTS+=("$MNT/proc")
    mount -t sysfs sysfs "$MNT/sys" && MOUNTS+=("$MNT/sys")
    mount --bind /dev "$MNT/dev" && MOUNTS+=("$MNT/dev")
    mount -t devpts devpts "$MNT/dev/pts" && MOUNTS+=("$MNT/dev/pts")
    # no service is started by a package script in the chroot (there is no systemd
    # running there anyway: /run of the image is empty); the unit starts at boot
    printf '#!/bin/sh\nexit 101\n' >"$MNT/usr/sbin/policy-rc.d"
    chmod 755 "$MNT/usr/sbin/policy-rc.d"
}
img_umount() {
    rm -f "$MNT/usr/sbin/policy-rc.d"
    rm -rf "$MNT/tmp/vtoa-debs"
    sync
    umount_all
}
in_root() { LC_ALL=C DEBIAN_FRONTEND=noninteractive chroot "$MNT" "$@" </dev/null; }
check() { # WHAT CMD...: fail the host step with WHAT unless CMD succeeds
    local what=$1; shift
    "$@" || { echo "FAIL: $what"; return 1; }
}
# install_payload TESTDIR: the guest side of the tests: runner, unit, tests,
# toa-peer/toa-server (static: they run on any guest's libc)
install_payload() {
    local d=$MNT/usr/local/lib/vtoa-pkgtest
    rm -rf "$d"; mkdir -p "$d/tests" "$MNT/usr/local/bin"
    cp "$HERE/pkg/guest-run.sh" "$HERE/pkg/pkglib.sh" "$HERE/lib.sh" "$d/"
    cp "$1"/*.sh "$d/tests/"
    cp "$HERE/bin/toa-peer" "$HERE/bin/toa-server" "$MNT/usr/local/bin/"
    cp "$HERE/pkg/vtoa-pkgtest.service" "$MNT/etc/systemd/system/"
    mkdir -p "$MNT/etc/systemd/system/multi-user.target.wants"
    ln -sfn /etc/systemd/system/vtoa-pkgtest.service "$MNT/etc/systemd/system/multi-user.target.wants/vtoa-pkgtest.service"
}

# host_step NAME FUNC: a step on the host, reported like a guest test; sets
# HOST_OK=1 if it passed. FUNC runs in a subshell with set -e, so any failing
# command fails the step. (Never call host_step in a condition, `if host_step`
# or `host_step || ...`: bash then ignores set -e in everything it runs.)
host_step() {
    local name=$1 log=$RUN/host-$1.log t0 rc
    t0=$(date +%s)
    set +e
    ( set -e; trap umount_all EXIT; trap 'exit 130' INT TERM; "$2" ) >"$log" 2>&1
    rc=$?
    set -e
    echo "host: $name took $(( $(date +%s) - t0 ))s" >>"$log"
    if (( rc == 0 )); then
        [[ $SHOW == 1 ]] && sed 's/^/    /' "$log"
        echo "PASS $name"
        PASSED=$((PASSED + 1))
        HOST_OK=1
    else
        echo "FAIL $name"
        sed 's/^/    /' "$log"
        FAILED=$((FAILED + 1)); FAILS+=("$name")
        HOST_OK=0
    fi
    return 0
}
# not_run REASON NAME...: tests that could not run
not_run() {
    local why=$1 n; shift
    for n in "$@"; do
        echo "FAIL $n"; echo "    (not run: $why)"
        FAILED=$((FAILED + 1)); FAILS+=("$n")
    done
}

# ------------------------------------------------------------------ boots
# boot NAME DISK TEST...: boot DISK with systemd, run the TESTs, report them;
# returns 0 if the guest got to VTOA-DONE
boot() {
    local name=$1 disk=$2; shift 2
    local tests; tests=$(IFS=,; echo "$*")
    VM_LOG=$RUN/$name
    mkdir -p "$VM_LOG"
    vm_results_reset
    # quiet loglevel=4 for the kernel; systemd.show_status=1: systemd's [ OK ] lines
    # on the console all the same (what a hung boot was waiting for)
    local append="root=/dev/vda rw console=ttyS0 panic_on_warn=1 panic=-1 oops=panic softlockup_panic=1 quiet loglevel=4"
    append+=" systemd.show_status=1"
    append+=" panic_print=0x20 vtoapkg.tests=$tests${BOOT_APPEND:+ $BOOT_APPEND}"
    # thread=single: see tests/vm/run (multi-threaded TCG breaks kernel text patching)
    # shellcheck disable=SC2054
    QEMU=(qemu-system-x86_64 -accel tcg,thread=single -cpu max -m 2048 -smp 2 -nic none -no-reboot -display none
          -monitor none -parallel none
          -kernel "${BOOT_KERNEL:-$IMG/vmlinuz}" -initrd "${BOOT_INITRD:-$IMG/initrd.img}"
          -drive "file=$disk,if=virtio,format=raw"
          -append "$append"
          -serial "file:$VM_LOG/console.log" -serial "file:$VM_LOG/results.log")
    # shellcheck disable=SC2206
    [[ -n "${VTOA_QEMU_EXTRA:-}" ]] && QEMU+=($VTOA_QEMU_EXTRA)
    printf '%q ' "${QEMU[@]}" >"$VM_LOG/qemu.cmd"; echo >>"$VM_LOG/qemu.cmd"
    : >"$VM_LOG/console.log"; : >"$VM_LOG/results.log"
    say "$name: booting ${disk##*/} with systemd, tests: $*"
    T0=$(date +%s)
    "${QEMU[@]}" </dev/null >"$VM_LOG/qemu.log" 2>&1 &
    QPID=$!
    vm_wait "$TIMEOUT"
    vm_report_unfinished "$@"
    local f0=$FAILED
    vm_report_guest "vm-$name" "$TIMEOUT"
    say "$name: guest ran ${ELAPSED}s"
    (( FAILED == f0 ))
}
