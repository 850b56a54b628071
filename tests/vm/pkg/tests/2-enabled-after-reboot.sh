# 2d. After enable + reboot the service ran at boot and the module is loaded.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
assert_eq "$(unit_state)" "enabled active" "is-enabled/is-active after enable + reboot"
assert_loaded_with_config
assert_real_client 8004
