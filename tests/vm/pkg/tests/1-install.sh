# 1. Installed from the host (DKMS built the module in the chroot), first boot with
#    systemd: vtoa.service enabled and active, the module loaded with the parameters
#    from /etc/vtoa/vtoa.conf, `vtoa doctor` exits 0, a connection through the
#    FULLNAT proxy shows the real client.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
run dpkg-query -W -f '${Package} ${Version} ${Status}\n' vtoa vtoa-dkms
run systemctl status --no-pager --lines=20 vtoa.service
assert_eq "$(unit_state)" "enabled active" "vtoa.service is-enabled/is-active"
assert_match "$(systemctl show -p ExecMainStatus --value vtoa.service)" '^0$' "vtoa load's exit status"
# what `vtoa load` printed is in the journal (systemctl status shows it)
assert_match "$(journalctl -b -u vtoa.service --no-pager -o cat)" "loaded vtoa .*trusted_sources=$(echo "$TRUSTED" | sed 's/\./\\./g')" "vtoa load's line in the journal"
assert_loaded_with_config
run grep -H . /sys/module/vtoa/parameters/* || true
run vtoa status
run vtoa doctor || fail "vtoa doctor failed (exit status $_rc)"
assert_real_client 8004
