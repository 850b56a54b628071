# 2c. After disable + reboot the service did not run and the module is not loaded;
#     then systemctl enable vtoa (checked after the next boot).
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
assert_eq "$(unit_state)" "disabled inactive" "is-enabled/is-active after disable + reboot"
assert_unloaded
assert_proxy_peer 8004
run systemctl enable vtoa.service || fail "systemctl enable vtoa failed"
assert_eq "$(unit_state)" "enabled inactive" "is-enabled/is-active after enable"
assert_unloaded
