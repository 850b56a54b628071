# The debug kernel's reports in a finished guest's logs (sourced by
# tests/vm/run --debug-kernel; bash). See tests/vm/README.md, "The debug kernel".
#
#   debug_report RUN DBG    RUN: the run directory (console.log, .results.txt);
#                           DBG: tests/vm/debug-kernel's output directory
#
# Prints one line per report (its first line: what and where), FAILs
# "debug-kernel" in the results counters (FAILED, FAILS) if there is any.

# first lines of the reports of KASAN, KFENCE, UBSAN, lockdep and PROVE_RCU,
# DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS, kmemleak, RCU stalls, and oopses
DEBUG_REPORT_PATTERN='BUG: KASAN:|BUG: KFENCE:|UBSAN:|WARNING: (possible|suspicious|inconsistent|bad |lock held|Nested lock|held lock)|BUG: (held lock|sleeping function|scheduling while atomic|Invalid wait context|workqueue leaked|spinlock|rwlock|using smp_processor_id)|ODEBUG:|unreferenced object|rcu: INFO:|INFO: task .* blocked|WARNING: CPU:|Oops|general protection fault|Kernel panic'

debug_report() {
    local run=$1 dbg=$2 reports n
    reports=$( { tr -d '\r' <"$run/console.log" | grep -aE "$DEBUG_REPORT_PATTERN" | sed 's/^\[[ 0-9.]*\] //';
                 grep -aE "^(kernel|kmemleak): .*($DEBUG_REPORT_PATTERN)" "$run/.results.txt" 2>/dev/null |
                     sed -E 's/^(kernel|kmemleak): //; s/^\[[ 0-9.]*\] //'; } |
               sed -E 's/unreferenced object 0x[0-9a-f]+/unreferenced object/' | awk '!seen[$0]++' || true)
    if [[ -z "$reports" ]]; then
        echo "debug-kernel: no KASAN, KFENCE, UBSAN, lockdep, RCU, ODEBUG, atomic-sleep or kmemleak report"
        return 0
    fi
    n=$(printf '%s\n' "$reports" | wc -l)
    echo "FAIL debug-kernel: $n distinct report(s):"
    printf '%s\n' "$reports" | sed 's/^/    /'
    # a leak's allocation backtrace, from the first kmemleak report
    if grep -aq '^kmemleak: unreferenced object' "$run/.results.txt" 2>/dev/null; then
        echo "  first kmemleak report:"
        awk '/^kmemleak: unreferenced object/ { on = 1 } on && n < 14 { print "    " $0; n++ }' "$run/.results.txt"
    fi
    echo "  full reports: $run/console.log (kmemleak: results.log); map an address to a line:"
    echo "    $dbg/src/scripts/faddr2line $dbg/vmlinux FUNC+0xOFF/0xLEN   (kernel)"
    echo "    $dbg/src/scripts/faddr2line $run/vtoa.ko FUNC+0xOFF/0xLEN  (a [vtoa] frame)"
    FAILED=$((FAILED + 1)); FAILS+=(debug-kernel)
}
