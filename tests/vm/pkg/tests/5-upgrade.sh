# 5b. After the upgrade to the newer build (5-upgrade-live, apt-get upgrade in
#    the booted guest; the version is in $VTOA_PKGDIR/upgrade-version) and a
#    reboot: the configuration is kept, the service runs, the module loaded at
#    boot is the one DKMS built during the upgrade.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
want=$(cat "$VTOA_PKGDIR/upgrade-version") || fail "no $VTOA_PKGDIR/upgrade-version"
run dpkg-query -W -f '${Package} ${Version} ${Status}\n' vtoa vtoa-dkms
assert_eq "$(dpkg-query -W -f '${Version} ${Status}' vtoa)" "$want install ok installed" "vtoa after the upgrade"
assert_eq "$(dpkg-query -W -f '${Version} ${Status}' vtoa-dkms)" "$want install ok installed" "vtoa-dkms after the upgrade"
assert_match "$(grep -v '^#' "$CONF")" "^trusted_sources = $TRUSTED_CONF\$" "the configuration kept by the upgrade"
assert_eq "$(unit_state)" "enabled active" "is-enabled/is-active after the upgrade + reboot"
assert_loaded_with_config
ko=/lib/modules/$(uname -r)/updates/dkms/vtoa.ko
[ -f "$ko" ] || fail "$ko missing"
run dkms status -m vtoa
assert_eq "$(cat /sys/module/vtoa/srcversion)" "$(modinfo -F srcversion "$ko")" "srcversion of the loaded module vs $ko"
# the .ko DKMS built during the upgrade (pkg-test recorded its checksum)
assert_eq "$(sha256sum <"$ko" | cut -d' ' -f1)" "$(cat "$VTOA_PKGDIR/upgrade-ko.sha256")" "$ko is the one built during the upgrade"
run vtoa status
assert_real_client 8004
