# Host side of the VM bench's results protocol (sourced by tests/vm/run and
# tests/vm/pkg-test; bash). A guest writes to its ttyS1 (results.log):
#
#   VTOA-TEST-BEGIN <name>  ...output...  VTOA-TEST-END <name> PASS|FAIL|SKIP  ...  VTOA-DONE
#
# SKIP: the test cannot run on this backend (its "SKIP: reason" line is
# printed); a passing test's "SKIP-CASE name: reason" lines (a case the
# backend cannot do yet, lib.sh's backend_lacks) are printed under its PASS.
#
# Usage, per boot:
#   VM_LOG=<dir with console.log, results.log, qemu.log>  SHOW=0|1
#   vm_results_reset                  forget the tests reported for the previous boot
#   "${QEMU[@]}" ... & QPID=$!; T0=$(date +%s)
#   vm_wait TIMEOUT                   report tests as they end; on timeout kill qemu;
#                                     sets TIMED_OUT, QRC, ELAPSED; clears QPID
#   vm_report_unfinished NAME...      FAIL every expected test that never ended
#   vm_report_guest LABEL             FAIL LABEL if there was no VTOA-DONE (with the
#                                     console's tail) or the kernel log has problems
# Totals accumulate over boots in PASSED, FAILED, VM_SKIPPED and FAILS (names).

PASSED=0 FAILED=0 VM_SKIPPED=0
FAILS=()
declare -A REPORTED=()
SHOW=${SHOW:-0}

vm_results_reset() {
    REPORTED=()
    RES=$VM_LOG/.results.txt
}

# print the output of test $1 (between its markers) from $RES, indented
test_output() {
    awk -v n="$1" '
        $1 == "VTOA-TEST-BEGIN" && $2 == n { on = 1; next }
        $1 == "VTOA-TEST-END" && $2 == n { on = 0; next }
        on { print "    " $0 }' "$RES"
}

# report every test whose END marker arrived since the last call
report_new() {
    tr -d '\r' <"$VM_LOG/results.log" >"$RES" 2>/dev/null || return 0
    local name res
    while read -r name res; do
        [[ -n "$name" && -z "${REPORTED[$name]:-}" ]] || continue
        REPORTED[$name]=$res
        if [[ "$res" == PASS ]]; then
            [[ $SHOW == 1 ]] && test_output "$name"
            echo "PASS $name"
            [[ $SHOW == 1 ]] || test_output "$name" | grep -a '^    SKIP-CASE ' || true
            PASSED=$((PASSED + 1))
        elif [[ "$res" == SKIP ]]; then
            echo "SKIP $name: $(test_output "$name" | sed -n 's/^    SKIP: //p' | head -n1)"
            VM_SKIPPED=$((VM_SKIPPED + 1))
        else
            echo "FAIL $name"
            test_output "$name"
            FAILED=$((FAILED + 1)); FAILS+=("$name")
        fi
    done < <(awk '$1 == "VTOA-TEST-END" && NF >= 3 { print $2, $3 }' "$RES")
}

# vm_wait TIMEOUT: wait for qemu ($QPID, started at $T0), reporting as tests end
vm_wait() {
    local timeout=$1
    TIMED_OUT=0
    while kill -0 "$QPID" 2>/dev/null; do
        report_new
        if (( $(date +%s) - T0 >= timeout )); then
            TIMED_OUT=1
            kill "$QPID" 2>/dev/null || true
            sleep 2
            kill -9 "$QPID" 2>/dev/null || true
            break
        fi
        sleep 1
    done
    wait "$QPID" 2>/dev/null && QRC=0 || QRC=$?
    QPID=
    ELAPSED=$(( $(date +%s) - T0 ))
    report_new
}

# tests that never finished
vm_report_unfinished() {
    local name
    for name in "$@"; do
        [[ -z "${REPORTED[$name]:-}" ]] || continue
        REPORTED[$name]=FAIL
        echo "FAIL $name"
        if grep -qx "VTOA-TEST-BEGIN $name" "$RES"; then
            test_output "$name"
            echo "    (no VTOA-TEST-END: the guest died or hung during this test)"
        else
            echo "    (not run: the guest did not get this far)"
        fi
        FAILED=$((FAILED + 1)); FAILS+=("$name")
    done
}

# vm_report_guest LABEL [TIMEOUT]: the guest's end (VTOA-DONE) and its kernel log
vm_report_guest() {
    local label=$1 timeout=${2:-?} done=0 why
    grep -qx 'VTOA-DONE' "$RES" && done=1
    # kernel problems: on the console, and warn+ kernel messages reported per test
    local pattern='WARNING:|BUG:|Oops|Kernel panic|general protection fault|refcount_t:|UBSAN|list_add corruption|list_del corruption|kmem_cache_destroy'
    local kproblems
    kproblems=$( { tr -d '\r' <"$VM_LOG/console.log" | grep -aE "$pattern" | sed 's/^/    console: /';
                   grep -aE "^kernel: .*($pattern)" "$RES" | sed 's/^/    /'; } | awk '!seen[$0]++' || true)
    if (( ! done )); then
        if (( TIMED_OUT )); then
            why="guest timed out after ${timeout}s (killed)"
        elif grep -aq 'VTOA-INIT-FAILED' "$VM_LOG/console.log"; then
            why="guest init failed: $(tr -d '\r' <"$VM_LOG/console.log" | grep -a -m1 -o 'VTOA-INIT-FAILED.*')"
        else
            why="guest stopped without VTOA-DONE after ${ELAPSED}s (panic/oops/crash? qemu exit $QRC)"
        fi
        echo "FAIL $label: $why"
        if [[ -n "$kproblems" ]]; then echo "  kernel problems:"; echo "$kproblems"; fi
        echo "  last 80 lines of $VM_LOG/console.log:"
        tr -d '\r' <"$VM_LOG/console.log" | tail -n 80 | sed 's/^/  | /'
        if [[ -s "$VM_LOG/qemu.log" ]]; then echo "  qemu said:"; sed 's/^/  | /' "$VM_LOG/qemu.log"; fi
        FAILED=$((FAILED + 1)); FAILS+=("$label")
    elif [[ -n "$kproblems" ]]; then
        echo "FAIL kernel-log: kernel problems reported by the guest"
        echo "$kproblems"
        FAILED=$((FAILED + 1)); FAILS+=(kernel-log)
    fi
}
