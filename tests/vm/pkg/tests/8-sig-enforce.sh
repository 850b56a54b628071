# 8. apt-get install vtoa on a host that enforces module signatures (booted
#    with module.sig_enforce=1 lockdown=integrity: what Secure Boot imposes,
#    without firmware). DKMS builds the module and signs it with its own key,
#    which nobody enrolled, so the kernel refuses it: vtoa-dkms's postinst
#    says in ONE line what to enrol; vtoa.service (backend = auto) falls back
#    to the eBPF backend and is active, its journal names the refusal and the
#    fallback; the real client is seen; `vtoa doctor` exits 0 and says why
#    the eBPF backend serves. Then backend = module: the service fails with
#    the enforcement line, `vtoa load` exits 25 with that one line and leaves
#    nothing loaded or attached, `vtoa doctor`'s first fix is the mokutil
#    step, connections show the proxy.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
rel=$(uname -r)
grep -qx Y /sys/module/module/parameters/sig_enforce || fail "this boot should enforce module signatures (module.sig_enforce=1 on the command line)"
# what enforces it, as vtoa and vtoa-dkms name it
enf=
mode=$(sed -n 's/.*\[\([a-z]*\)\].*/\1/p' /sys/kernel/security/lockdown 2>/dev/null)
[ -z "$mode" ] || [ "$mode" = none ] || enf="lockdown=$mode"
enf="${enf:+$enf, }module.sig_enforce=1"
log "enforcement: $enf"
re_enf=$(printf '%s' "$enf" | sed 's/[.]/\\./g')
[ -e "/lib/modules/$rel/build" ] || fail "no headers for $rel in this image"
run apt-get update -q || fail "apt-get update failed"
t0=$(date +%s)
run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q vtoa || fail "apt-get install vtoa failed"
out=$_out
log "apt-get install vtoa took $(( $(date +%s) - t0 ))s (the DKMS build under TCG included)"
assert_eq "$(printf '%s\n' "$out" | grep -c 'enforces module signatures')" 1 "lines of apt-get install's output naming the enforcement"
assert_match "$out" "vtoa-dkms: the kernel enforces module signatures \($re_enf\): .*mokutil --import /var/lib/dkms/mok\.pub" "vtoa-dkms's postinst line"
run modinfo -F signer vtoa || true
log "vtoa.ko's signer: '${_out:-none}'"
run systemctl status --no-pager --lines=10 vtoa.service || true
assert_eq "$(unit_state)" "enabled active" "vtoa.service (backend = auto) with signatures enforced"
assert_unloaded
[ -d /sys/fs/bpf/vtoa ] || fail "the eBPF backend is not attached (/sys/fs/bpf/vtoa)"
journal=$(journalctl -b -u vtoa.service --no-pager -o cat)
assert_match "$journal" "the module cannot be used \(the kernel enforces module signatures \($re_enf\) and vtoa\.ko .*mokutil --import /var/lib/dkms/mok\.pub.*\); backend = auto: using the eBPF backend" "the fallback in the journal"
assert_match "$journal" "attached vtoa's eBPF programs \(trusted_sources= getpeername=1 getsockopt=1 ipv6_kind254=0\)" "vtoa load's line in the journal"
run vtoa status || fail "vtoa status exits $_rc with the eBPF backend active"
assert_match "$_out" "backend: ebpf, programs attached" "vtoa status's backend line"
assert_real_client 8004
run vtoa doctor || fail "vtoa doctor exits $_rc while the eBPF backend serves"
assert_match "$_out" "the eBPF backend serves \(backend = auto\): the module cannot be used \(the kernel enforces module signatures" "vtoa doctor's backend line"
run vtoa stats
assert_match "$_out" "toa_v4 +[1-9]" "the eBPF backend's counters (toa_v4)"
# backend = module: the refusal itself
printf '\n# written by tests/vm/pkg/tests/8-sig-enforce.sh\nbackend = module\n' >>"$CONF"
run systemctl restart vtoa.service && fail "systemctl restart vtoa with backend = module succeeded with signatures enforced"
assert_eq "$(unit_state)" "enabled failed" "vtoa.service with backend = module"
assert_unloaded
[ ! -e /sys/fs/bpf/vtoa ] || fail "/sys/fs/bpf/vtoa is still there after the restart with backend = module"
assert_match "$(journalctl -b -u vtoa.service --no-pager -o cat)" "the kernel enforces module signatures \($re_enf\) and vtoa\.ko .*mokutil --import /var/lib/dkms/mok\.pub" "the service's failure in the journal"
run vtoa load && fail "vtoa load exits 0 with signatures enforced"
assert_eq "$_rc" 25 "vtoa load's exit status"
assert_eq "$(printf '%s\n' "$_out" | wc -l)" 1 "lines of vtoa load's error"
assert_match "$_out" "module signatures \($re_enf\).*mokutil --import /var/lib/dkms/mok\.pub, reboot" "vtoa load's error"
assert_unloaded
run vtoa doctor && fail "vtoa doctor exits 0 with the module refused and backend = module"
assert_match "$(printf '%s\n' "$_out" | head -n1)" "^first fix: .*mokutil --import /var/lib/dkms/mok\.pub.*\(signing\)$" "vtoa doctor's first line"
assert_proxy_peer 8004
