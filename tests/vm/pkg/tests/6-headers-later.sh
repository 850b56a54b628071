# 6b. What the postinst line says to run, run: apt-get install linux-headers-KVER
#     (from the repository: DKMS's header_postinst.d hook builds vtoa), then
#     systemctl restart vtoa: the eBPF backend 6-no-headers fell back to is
#     detached, the module loaded (backend = auto prefers it), active, the
#     real client.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
rel=$(uname -r)
ko=/lib/modules/$rel/updates/dkms/vtoa.ko
t0=$(date +%s)
run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "linux-headers-$rel" || fail "apt-get install linux-headers-$rel failed"
log "apt-get install linux-headers-$rel took $(( $(date +%s) - t0 ))s (the DKMS build under TCG included)"
[ -e "/lib/modules/$rel/build" ] || fail "no /lib/modules/$rel/build after installing the headers"
[ -f "$ko" ] || fail "DKMS did not build $ko when the headers were installed"
run systemctl restart vtoa.service || fail "systemctl restart vtoa failed"
assert_eq "$(unit_state)" "enabled active" "vtoa.service is-enabled/is-active after the restart"
vtoa_loaded || fail "module vtoa not loaded"
[ ! -e /sys/fs/bpf/vtoa ] || fail "the eBPF backend is still attached next to the module (/sys/fs/bpf/vtoa)"
assert_eq "$(cat /sys/module/vtoa/srcversion)" "$(modinfo -F srcversion "$ko")" "srcversion of the loaded module vs $ko"
