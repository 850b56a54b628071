# 2b. systemctl disable vtoa (checked after the next boot: 2-disabled-after-reboot).
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
run systemctl disable vtoa.service || fail "systemctl disable vtoa failed"
assert_eq "$(unit_state)" "disabled active" "is-enabled/is-active after disable"
