# 9b. The first boot of the new kernel (pkg-test --kernel-upgrade boots the
#     /boot/vmlinuz and initrd.img the upgrade installed): vtoa.service
#     enabled and active, the module loaded is the one DKMS built for this
#     kernel during the upgrade, the configuration applied, `vtoa doctor`
#     exits 0, the real client through the FULLNAT proxy.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
new=$(cat "$VTOA_PKGDIR/kernel-upgrade-release") || fail "no $VTOA_PKGDIR/kernel-upgrade-release"
assert_eq "$(uname -r)" "$new" "the running kernel"
run systemctl status --no-pager --lines=10 vtoa.service || true
assert_eq "$(unit_state)" "enabled active" "vtoa.service on the new kernel"
assert_loaded_with_config
ko=/lib/modules/$new/updates/dkms/vtoa.ko
assert_eq "$(cat /sys/module/vtoa/srcversion)" "$(modinfo -F srcversion "$ko")" "srcversion of the loaded module vs $ko"
run vtoa status
run vtoa doctor || fail "vtoa doctor exits $_rc on the new kernel"
assert_real_client 8004
