# 6. apt-get install vtoa in the booted guest whose running kernel has no
#    headers (pkg-test purged linux-headers-KVER): apt exits 0, both packages
#    "install ok installed", dpkg --audit clean; vtoa-dkms's postinst says in ONE
#    line which package is missing and what to run after it. vtoa.service
#    (backend = auto) falls back to the eBPF backend: enabled and active, its
#    journal names the missing headers and the fallback, the real client is
#    seen, `vtoa doctor` exits 0 and names the headers. With backend = module
#    the service fails and says the same, `vtoa load` exits 14, and `vtoa
#    doctor` fails with the headers as its first fix.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
rel=$(uname -r)
remedy="apt install linux-headers-$rel && systemctl restart vtoa"
re_remedy=$(printf '%s' "$remedy" | sed 's/[.&]/\\&/g')
[ ! -e "/lib/modules/$rel/build" ] || fail "/lib/modules/$rel/build exists: this image has headers"
run apt-get update -q || fail "apt-get update failed"
run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q vtoa || fail "apt-get install vtoa without headers failed"
out=$_out
assert_eq "$(printf '%s\n' "$out" | grep -c "linux-headers-$rel")" 1 "lines of apt-get install's output naming linux-headers-$rel"
assert_match "$out" "vtoa-dkms: vtoa is not built for the running kernel $rel: its headers are not installed; run: $re_remedy" "vtoa-dkms's postinst line"
run dpkg-query -W -f '${Package} ${Version} ${Status}\n' vtoa vtoa-dkms
assert_eq "$(dpkg-query -W -f '${Status}\n' vtoa vtoa-dkms | sort -u)" "install ok installed" "dpkg status of vtoa, vtoa-dkms"
audit=$(dpkg --audit 2>&1) ; [ -z "$audit" ] || fail "dpkg --audit: $audit"
run systemctl status --no-pager --lines=10 vtoa.service || true
assert_eq "$(unit_state)" "enabled active" "vtoa.service (backend = auto) without headers"
assert_unloaded
[ -d /sys/fs/bpf/vtoa ] || fail "the eBPF backend is not attached (/sys/fs/bpf/vtoa)"
assert_match "$(journalctl -b -u vtoa.service --no-pager -o cat)" "the module cannot be used \(module vtoa is not built for kernel $rel: its headers are not installed .*run: $re_remedy\); backend = auto: using the eBPF backend" "the fallback in the journal"
assert_real_client 8004
run vtoa doctor || fail "vtoa doctor exits $_rc while the eBPF backend serves"
assert_match "$_out" "the eBPF backend serves \(backend = auto\): the module cannot be used \(no kernel headers for $rel" "vtoa doctor's backend line"
# backend = module: the module's own failure
cp "$CONF" "$TMPDIR/vtoa.conf.orig"
printf '\n# written by tests/vm/pkg/tests/6-no-headers.sh\nbackend = module\n' >>"$CONF"
run systemctl restart vtoa.service && fail "systemctl restart vtoa with backend = module succeeded without headers"
assert_eq "$(unit_state)" "enabled failed" "vtoa.service with backend = module, without headers"
[ ! -e /sys/fs/bpf/vtoa ] || fail "/sys/fs/bpf/vtoa is still there after the restart with backend = module"
assert_match "$(journalctl -b -u vtoa.service --no-pager -o cat)" "module vtoa is not built for kernel $rel: its headers are not installed .*run: $re_remedy" "the service's failure in the journal"
run vtoa load && fail "vtoa load exits 0 without the module"
assert_eq "$_rc" 14 "vtoa load's exit status"
assert_match "$_out" "run: $re_remedy" "vtoa load's error"
run vtoa doctor && fail "vtoa doctor exits 0 without the module and backend = module"
first=$(printf '%s\n' "$_out" | head -n1)
assert_match "$first" "^first fix: .*linux-headers-$rel" "vtoa doctor's first line"
# the configuration as installed (auto) for 6-headers-later
cp "$TMPDIR/vtoa.conf.orig" "$CONF"
