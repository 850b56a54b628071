# 1. rpm -ivh of out/'s RPMs in the booted guest (systemd running, every scriptlet
#    as on EL): rpm exits 0, vtoa-dkms's %posttrans built and installed vtoa.ko
#    for the running kernel, vtoa's %post/%posttrans enabled and started
#    vtoa.service, `vtoa doctor` exits 0 and a connection through the FULLNAT
#    proxy shows the real client. Then the operator's configuration.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"; . "$VTOA_PKGDIR/rpmlib.sh"
kver=$(uname -r)
assert_eq "$(rpm -qa 'vtoa*')" "" "vtoa packages before the installation"
set -- $(rpms "$R1")
[ $# -eq 2 ] || fail "want two RPMs in $R1, got: $*"
t0=$(date +%s)
# shellcheck disable=SC2086
run rpm -ivh $RPMOPT "$@" || fail "rpm -ivh failed"
log "rpm -ivh took $(( $(date +%s) - t0 ))s (the DKMS build in vtoa-dkms's %posttrans included)"
dkms_build_time
run rpm -q vtoa vtoa-dkms || fail "rpm -q vtoa vtoa-dkms"
run dkms status -m vtoa
[ -f "$KO" ] || fail "DKMS did not install $KO"
assert_eq "$(modinfo -F vermagic "$KO" | cut -d' ' -f1)" "$kver" "vermagic of $KO"
run systemctl status --no-pager --lines=20 vtoa.service
assert_eq "$(unit_state)" "enabled active" "vtoa.service is-enabled/is-active right after rpm -ivh"
ours_loaded
[ ! -e /var/lib/rpm-state/vtoa ] || fail "/var/lib/rpm-state/vtoa left after the transaction"
run vtoa --version || fail "vtoa --version"
# the operator's configuration (kept by the upgrade, 3; saved by the erase, 5)
printf '\n# written by tests/vm/rpm/tests/1-install.sh\ntrusted_sources = %s\nmax_entries = %s\n' "$TRUSTED_CONF" "$MAX_ENTRIES" >>"$CONF"
run systemctl restart vtoa.service || fail "systemctl restart vtoa with the configuration"
assert_loaded_with_config
run vtoa doctor || fail "vtoa doctor failed (exit status $_rc)"
assert_real_client 8004
