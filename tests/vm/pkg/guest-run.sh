#!/bin/sh
# Guest side of tests/vm/pkg-test: run by vtoa-pkgtest.service (systemd is PID 1,
# multi-user.target reached). Runs the tests named on the kernel command line,
# "vtoapkg.tests=NAME,NAME,...", each /usr/local/lib/vtoa-pkgtest/tests/NAME.sh
# (sh, as root, in its own directory under /tmp), and reports on ttyS1 in the
# protocol of tests/vm/guest-init.sh:
#
#   VTOA-TEST-BEGIN <name>
#   <output of the test; then "kernel: <line>" for kernel messages of level warn
#    or worse logged while it ran>
#   VTOA-TEST-END <name> PASS|FAIL
#   ...
#   VTOA-DONE
#
# then powers the guest off (systemctl poweroff). Unlike guest-init.sh nothing is
# reset between tests: the state a test leaves (packages, service, module) is the
# next test's starting point, and the disk persists to the next boot.

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
D=/usr/local/lib/vtoa-pkgtest
VTOA_LIB=$D/lib.sh
VTOA_PKGLIB=$D/pkglib.sh
VTOA_PKGDIR=$D
VTOA_TEST_TIMEOUT=240
HOME=/root
LC_ALL=C
SYSTEMD_PAGER=
SYSTEMD_COLORS=0
export PATH VTOA_LIB VTOA_PKGLIB VTOA_PKGDIR HOME LC_ALL SYSTEMD_PAGER SYSTEMD_COLORS

if exec 3>/dev/ttyS1; then
    stty -F /dev/ttyS1 raw -echo 2>/dev/null
else
    echo "vtoa-pkgtest: cannot open /dev/ttyS1, results go to the console" >/dev/console
    exec 3>/dev/console
fi
say() { printf '%s\n' "$*" >&3; }

TESTS=
set -f
for w in $(cat /proc/cmdline); do
    case $w in
        vtoapkg.tests=*) TESTS=${w#vtoapkg.tests=} ;;
        vtoapkg.timeout=*) VTOA_TEST_TIMEOUT=${w#vtoapkg.timeout=} ;;   # per test (default 240 s)
    esac
done
set +f
echo "vtoa-pkgtest: kernel $(uname -r), boot took $(cut -d' ' -f1 /proc/uptime)s, tests: $TESTS" >/dev/console
modprobe tun || echo "vtoa-pkgtest: modprobe tun failed" >/dev/console

run_test() {
    name=$1
    say "VTOA-TEST-BEGIN $name"
    dmesg -C 2>/dev/null
    t0=$(date +%s)
    d=$(mktemp -d "/tmp/$name.XXXXXX")
    if [ -f "$D/tests/$name.sh" ]; then
        (
            cd "$d" || exit 1
            VTOA_TEST=$name TMPDIR=$d
            export VTOA_TEST TMPDIR
            exec timeout -k 10 "$VTOA_TEST_TIMEOUT" sh "$D/tests/$name.sh" </dev/null >&3 2>&3
        ) &
        pid=$!
        wait $pid
        rc=$?
        kill -9 -$pid 2>/dev/null
        [ $rc -eq 124 ] && say "vtoa-pkgtest: test timed out after ${VTOA_TEST_TIMEOUT}s"
    else
        say "vtoa-pkgtest: no test $D/tests/$name.sh"
        rc=1
    fi
    dmesg --level=emerg,alert,crit,err,warn 2>/dev/null | sed 's/^/kernel: /' >&3
    if [ $rc -eq 0 ]; then
        res=PASS
    else
        res=FAIL
        say "vtoa-pkgtest: exit status $rc; the journal's last 40 lines:"
        journalctl -b --no-pager -n 40 -o short-monotonic 2>&1 | sed 's/^/journal: /' >&3
    fi
    say "vtoa-pkgtest: ${name} took $(( $(date +%s) - t0 ))s"
    say "VTOA-TEST-END $name $res"
    echo "vtoa-pkgtest: $res $name" >/dev/console
}

IFS=,
set -f
for t in $TESTS; do
    unset IFS
    run_test "$t"
    IFS=,
done
unset IFS
set +f

say "VTOA-DONE"
sync
systemctl --no-block poweroff
