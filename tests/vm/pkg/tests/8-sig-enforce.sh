# 8. A boot with module.sig_enforce=1 (what Secure Boot or lockdown=integrity
#    impose, without firmware): the DKMS-built module is unsigned or signed
#    by DKMS's key, which nobody enrolled, so the kernel refuses it.
#    vtoa.service (enabled) has failed and its journal line names the
#    enforcement and the mokutil step; `vtoa load` exits 25 with that one
#    line and leaves nothing loaded; `vtoa doctor` fails with 'signing' as
#    its first fix; connections show the proxy, as without vtoa; and
#    vtoa-dkms's postinst, run again, says what to enrol in one line.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
grep -qx Y /sys/module/module/parameters/sig_enforce || fail "this boot should enforce module signatures (module.sig_enforce=1 on the command line)"
run modinfo -F signer vtoa || true
log "vtoa.ko's signer: '${_out:-none}'"
run systemctl status --no-pager --lines=10 vtoa.service || true
assert_eq "$(unit_state)" "enabled failed" "vtoa.service is-enabled/is-active with signatures enforced"
assert_unloaded
assert_match "$(journalctl -b -u vtoa.service --no-pager -o cat)" "the kernel enforces module signatures \(module\.sig_enforce=1\) and vtoa\.ko .*mokutil --import /var/lib/dkms/mok\.pub" "the service's failure in the journal"
run vtoa load && fail "vtoa load exits 0 with signatures enforced"
assert_eq "$_rc" 25 "vtoa load's exit status"
assert_eq "$(printf '%s\n' "$_out" | wc -l)" 1 "lines of vtoa load's error"
assert_match "$_out" "module signatures \(module\.sig_enforce=1\).*mokutil --import /var/lib/dkms/mok\.pub, reboot" "vtoa load's error"
assert_unloaded
run vtoa doctor && fail "vtoa doctor exits 0 with the module refused"
assert_match "$(printf '%s\n' "$_out" | head -n1)" "^first fix: .*mokutil --import /var/lib/dkms/mok\.pub.*\(signing\)$" "vtoa doctor's first line"
assert_proxy_peer 8004
run /var/lib/dpkg/info/vtoa-dkms.postinst configure || fail "vtoa-dkms's postinst failed"
assert_eq "$(printf '%s\n' "$_out" | grep -c 'enforces module signatures')" 1 "lines of vtoa-dkms's postinst naming the enforcement"
assert_match "$_out" "vtoa-dkms: the kernel enforces module signatures \(module\.sig_enforce=1\): .*mokutil --import /var/lib/dkms/mok\.pub" "vtoa-dkms's postinst line"
