# 2a. systemctl stop vtoa unloads the module (getpeername is the proxy again),
#     systemctl start loads it (the real client again).
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
run systemctl stop vtoa.service || fail "systemctl stop vtoa failed"
assert_eq "$(systemctl is-active vtoa.service)" inactive "is-active after stop"
assert_unloaded
assert_proxy_peer 8004
run systemctl start vtoa.service || fail "systemctl start vtoa failed"
assert_eq "$(systemctl is-active vtoa.service)" active "is-active after start"
assert_loaded_with_config
assert_real_client 8004
