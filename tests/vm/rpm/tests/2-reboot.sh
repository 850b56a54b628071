# 2. After a reboot: vtoa.service still enabled, ran at boot, the module (DKMS's)
#    loaded with the configuration, real client.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"; . "$VTOA_PKGDIR/rpmlib.sh"
assert_eq "$(unit_state)" "enabled active" "is-enabled/is-active after the reboot"
assert_match "$(systemctl show -p ExecMainStatus --value vtoa.service)" '^0$' "vtoa load's exit status"
ours_loaded
assert_loaded_with_config
assert_real_client 8004
