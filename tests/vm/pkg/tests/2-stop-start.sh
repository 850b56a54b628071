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
# the same through vtoa's own verbs (systemd's D-Bus API, waiting for the job)
run vtoa stop || fail "vtoa stop failed"
assert_eq "$(systemctl is-active vtoa.service)" inactive "is-active after vtoa stop"
assert_unloaded
vtoa status >/dev/null 2>&1
assert_eq "$?" 3 "vtoa status exit code with the service stopped"
run vtoa start || fail "vtoa start failed"
assert_eq "$(systemctl is-active vtoa.service)" active "is-active after vtoa start"
assert_loaded_with_config
run vtoa status || fail "vtoa status exit code with the service running: $_rc"
run vtoa restart || fail "vtoa restart failed"
assert_eq "$(systemctl is-active vtoa.service)" active "is-active after vtoa restart"
assert_loaded_with_config
run vtoa disable || fail "vtoa disable failed"
assert_eq "$(unit_state)" "disabled active" "is-enabled/is-active after vtoa disable"
run vtoa enable || fail "vtoa enable failed"
assert_eq "$(unit_state)" "enabled active" "is-enabled/is-active after vtoa enable"
