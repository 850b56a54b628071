#!/bin/sh
# vtoa VM test runner, PID 1 of the guest (exec'd by /sbin/vtoa-test-init with the
# payload disk mounted at /vtoa). Runs /vtoa/suite/*.sh in lexical order, then
# /vtoa/extra/run, and reports on ttyS1 (results.log on the host):
#
#   VTOA-TEST-BEGIN <name>
#   <output of the test, stdout+stderr; then "kernel: <line>" for kernel messages
#    of level warn or worse logged while it ran>
#   VTOA-TEST-END <name> PASS|FAIL|SKIP     (SKIP: the test exited 77, lib.sh's backend_skip)
#   ...
#   VTOA-DONE
#
# then syncs and powers off. Kernel cmdline "vtoatest.only=GLOB" limits the suite tests
# to file names matching GLOB (the extra test always runs).

PATH=/vtoa/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
VTOA=/vtoa
VTOA_LIB=/vtoa/lib.sh
VTOA_KMOD_NAME=vtoa
VTOA_TEST_TIMEOUT=300
VTOA_BACKEND=kmod
VTOA_RESULTS_TTY=/dev/ttyS1     # the arm64 matrix guest (virt machine, one UART): /dev/hvc0
HOME=/root
LC_ALL=C
[ -f /vtoa/env ] && . /vtoa/env          # written by tests/vm/run
VTOA_KO=${VTOA_KO:-/vtoa/$VTOA_KMOD_NAME.ko}
export PATH VTOA VTOA_LIB VTOA_KMOD_NAME VTOA_KO VTOA_BACKEND HOME LC_ALL
# set by tests/vm/run --debug-kernel: tests may shrink what TCG cannot finish
[ -z "${VTOA_DEBUG_KERNEL:-}" ] || export VTOA_DEBUG_KERNEL
[ ! -f /vtoa/kernel-config ] || cp /vtoa/kernel-config "/boot/config-$(uname -r)"

poweroff_now() {
    sync
    umount /vtoa 2>/dev/null
    echo o >/proc/sysrq-trigger
    sleep 60
    # still here? exiting PID 1 panics, and panic=-1 + -no-reboot stops qemu
    exit 0
}

# results channel (a virtio console may appear a moment after its module loaded)
n=0
while [ ! -c "$VTOA_RESULTS_TTY" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
if [ -c "$VTOA_RESULTS_TTY" ] && exec 3>"$VTOA_RESULTS_TTY"; then
    stty -F "$VTOA_RESULTS_TTY" raw -echo 2>/dev/null
else
    echo "guest-init: cannot open $VTOA_RESULTS_TTY, results go to the console" >/dev/console
    exec 3>/dev/console
fi
say() { printf '%s\n' "$*" >&3; }

ONLY=
set -f
for w in $(cat /proc/cmdline); do
    case $w in vtoatest.only=*) ONLY=${w#vtoatest.only=} ;; esac
done
set +f

echo "guest-init: kernel $(uname -r), $(nproc) cpus, backend $VTOA_BACKEND, only='${ONLY:-*}'" >/dev/console
# (the debug kernel has tun built in and no module tree)
[ -c /dev/net/tun ] || modprobe tun || echo "guest-init: modprobe tun failed" >/dev/console

# kmemleak (the debug kernel, tests/vm/run --debug-kernel): env VTOA_KMEMLEAK
# names the tests after which a check runs ("end" = after the whole suite).
# What boot itself left is forgotten first (scan + clear), so a report means
# an object allocated while the tests ran and unreferenced after them.
KMEMLEAK=/sys/kernel/debug/kmemleak
if [ -n "${VTOA_KMEMLEAK:-}" ]; then
    [ -d /sys/kernel/debug/tracing ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
    if [ -w $KMEMLEAK ]; then
        echo scan >$KMEMLEAK; echo clear >$KMEMLEAK
    else
        echo "guest-init: VTOA_KMEMLEAK set but no $KMEMLEAK (kernel without CONFIG_DEBUG_KMEMLEAK, or kmemleak=off)" >/dev/console
    fi
fi
# kmemleak_check NAME: pseudo-test kmemleak-NAME, FAIL if a scan (twice, as
# Documentation/dev-tools/kmemleak.rst advises against transient false
# positives) reports an unreferenced object. Objects younger than 5 s are
# never reported, hence the wait.
kmemleak_check() {
    say "VTOA-TEST-BEGIN kmemleak-$1"
    if [ ! -w $KMEMLEAK ]; then
        say "guest-init: no $KMEMLEAK"
        say "VTOA-TEST-END kmemleak-$1 FAIL"
        return
    fi
    sleep 6
    echo scan >$KMEMLEAK
    sleep 1
    echo scan >$KMEMLEAK
    leaks=$(cat $KMEMLEAK)
    if [ -n "$leaks" ]; then
        printf '%s\n' "$leaks" | sed 's/^/kmemleak: /' >&3
        echo clear >$KMEMLEAK
        say "VTOA-TEST-END kmemleak-$1 FAIL"
    else
        say "kmemleak: nothing reported by two scans"
        say "VTOA-TEST-END kmemleak-$1 PASS"
    fi
}
kmemleak_after() {
    case " ${VTOA_KMEMLEAK:-} " in *" $1 "*) kmemleak_check "$1" ;; esac
}

# run_test NAME CWD CMD...: one test between markers, exit 0 = PASS
run_test() {
    name=$1; cwd=$2; shift 2
    say "VTOA-TEST-BEGIN $name"
    dmesg -C 2>/dev/null
    t0=$(date +%s)
    (
        cd "$cwd" || exit 1
        VTOA_TEST=$name TMPDIR=$cwd
        export VTOA_TEST TMPDIR
        # timeout makes its own process group; the group is killed below, so
        # background processes a test forgot do not outlive it
        exec timeout -k 10 "$VTOA_TEST_TIMEOUT" "$@" </dev/null >&3 2>&3
    ) &
    pid=$!
    wait $pid
    rc=$?
    kill -9 -$pid 2>/dev/null
    [ $rc -eq 124 ] && say "guest-init: test timed out after ${VTOA_TEST_TIMEOUT}s"
    dmesg --level=emerg,alert,crit,err,warn 2>/dev/null | sed 's/^/kernel: /' >&3
    # leave the module unloaded for the next test
    if grep -q "^$VTOA_KMOD_NAME " /proc/modules 2>/dev/null; then
        rmmod "$VTOA_KMOD_NAME" 2>/dev/null || sleep 1
        rmmod "$VTOA_KMOD_NAME" 2>/dev/null
    fi
    # the eBPF backend too (tests/vm/run --backend ebpf)
    if [ -d /sys/fs/bpf/vtoa ]; then
        vtoa-bpf detach >/dev/null 2>&1 || say "guest-init: vtoa-bpf detach failed"
    fi
    if [ $rc -eq 0 ]; then res=PASS; elif [ $rc -eq 77 ]; then res=SKIP; else res=FAIL; say "guest-init: exit status $rc"; fi
    say "guest-init: ${name} took $(( $(date +%s) - t0 ))s"
    say "VTOA-TEST-END $name $res"
    echo "guest-init: $res $name" >/dev/console
}

for f in /vtoa/suite/*.sh; do
    [ -f "$f" ] || continue
    base=${f##*/}
    name=${base%.sh}
    if [ -n "$ONLY" ]; then
        # shellcheck disable=SC2254
        case $base in $ONLY) ;; *) case $name in $ONLY) ;; *) continue ;; esac ;; esac
    fi
    d=$(mktemp -d "/tmp/$name.XXXXXX")
    run_test "$name" "$d" sh "$f"
    kmemleak_after "$name"
done

if [ -e /vtoa/extra/run ]; then
    if [ -x /vtoa/extra/run ]; then
        run_test extra /vtoa/extra /vtoa/extra/run
    else
        run_test extra /vtoa/extra sh /vtoa/extra/run
    fi
fi

kmemleak_after end
say "VTOA-DONE"
poweroff_now
