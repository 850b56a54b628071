# 1. apt-get install vtoa in the booted guest (systemd is PID 1), from the flat
#    repository pkg-test put on the disk (/var/local/vtoa-repo; no network):
#    apt resolves vtoa-dkms (installed as a dependency: automatically), DKMS
#    builds vtoa.ko for the running kernel (under TCG), vtoa's postinst enables
#    and starts vtoa.service: enabled and active when apt returns, nothing
#    started by hand. Then the operator's configuration and a restart: loaded
#    with it, vtoa load's line in the journal, `vtoa doctor` exits 0, a
#    connection through the FULLNAT proxy shows the real client.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
kver=$(uname -r)
ko=/lib/modules/$kver/updates/dkms/vtoa.ko
assert_eq "$(dpkg-query -W -f '${Status}' vtoa vtoa-dkms 2>/dev/null)" "" "vtoa, vtoa-dkms before the installation"
[ -e "/lib/modules/$kver/build" ] || fail "no headers for $kver in this image"
run apt-get update -q || fail "apt-get update failed"
t0=$(date +%s)
run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q vtoa || fail "apt-get install vtoa failed"
log "apt-get install vtoa took $(( $(date +%s) - t0 ))s (the DKMS build under TCG included)"
run dpkg-query -W -f '${Package} ${Version} ${Status}\n' vtoa vtoa-dkms
assert_eq "$(dpkg-query -W -f '${Status}\n' vtoa vtoa-dkms | sort -u)" "install ok installed" "dpkg status of vtoa, vtoa-dkms"
assert_eq "$(apt-mark showauto vtoa vtoa-dkms)" vtoa-dkms "automatically installed (as vtoa's dependency)"
run dkms status -m vtoa
[ -f "$ko" ] || fail "DKMS did not install $ko"
assert_eq "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" "$kver" "vermagic of $ko"
run systemctl status --no-pager --lines=20 vtoa.service
assert_eq "$(unit_state)" "enabled active" "vtoa.service is-enabled/is-active right after apt-get install"
assert_match "$(systemctl show -p ExecMainStatus --value vtoa.service)" '^0$' "vtoa load's exit status"
vtoa_loaded || fail "module vtoa not loaded after apt-get install"
assert_eq "$(cat /sys/module/vtoa/srcversion)" "$(modinfo -F srcversion "$ko")" "srcversion of the loaded module vs $ko"
# a bounded start (Type=oneshot has none by default; the unit runs before network-pre.target)
assert_eq "$(systemctl show -p TimeoutStartUSec --value vtoa.service)" "1min 30s" "vtoa.service's TimeoutStartSec"
# the operator's configuration (kept by the upgrade, 5)
printf '\n# written by tests/vm/pkg/tests/1-install.sh\ntrusted_sources = %s\nmax_entries = %s\n' "$TRUSTED_CONF" "$MAX_ENTRIES" >>"$CONF"
run systemctl restart vtoa.service || fail "systemctl restart vtoa with the configuration"
# what `vtoa load` printed is in the journal (systemctl status shows it)
assert_match "$(journalctl -b -u vtoa.service --no-pager -o cat)" "loaded vtoa .*trusted_sources=$(echo "$TRUSTED" | sed 's/\./\\./g')" "vtoa load's line in the journal"
assert_loaded_with_config
run grep -H . /sys/module/vtoa/parameters/* || true
run vtoa status
run vtoa doctor || fail "vtoa doctor failed (exit status $_rc)"
assert_real_client 8004
