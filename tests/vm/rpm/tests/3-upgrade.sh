# 3. rpm -Uvh to the next release (make rpm PKG_RELEASE=N+1) with the service
#    running: the changed %config(noreplace) /etc/vtoa/vtoa.conf is kept (no
#    .rpmnew: the packaged file did not change), DKMS rebuilt vtoa.ko, the
#    service was restarted after that (new InvocationID) and is active, loaded
#    from the rebuilt file with the configuration, real client.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"; . "$VTOA_PKGDIR/rpmlib.sh"
set -- $(rpms "$R2")
[ $# -eq 2 ] || fail "want two RPMs in $R2, got: $*"
want=$(rpm -qp --qf '%{VERSION}-%{RELEASE}\n' "$1")
conf_sum=$(sha256sum <"$CONF")
inv0=$(systemctl show -p InvocationID --value vtoa.service)
assert_eq "$(unit_state)" "enabled active" "before the upgrade"
[ -n "$inv0" ] || fail "no InvocationID of vtoa.service"
touch "$TMPDIR/before"
sleep 1
t0=$(date +%s)
# shellcheck disable=SC2086
run rpm -Uvh $RPMOPT "$@" || fail "rpm -Uvh failed"
log "rpm -Uvh took $(( $(date +%s) - t0 ))s (the DKMS rebuild included)"
dkms_build_time
run rpm -q vtoa vtoa-dkms
assert_eq "$(rpm -q --qf '%{VERSION}-%{RELEASE}\n' vtoa vtoa-dkms | sort -u)" "$want" "vtoa, vtoa-dkms after the upgrade"
assert_eq "$(sha256sum <"$CONF")" "$conf_sum" "$CONF kept by the upgrade"
for f in "$CONF.rpmnew" "$CONF.rpmsave"; do [ ! -e "$f" ] || fail "$f made by the upgrade"; done
run dkms status -m vtoa
[ -f "$KO" ] || fail "$KO missing after the upgrade"
[ "$(command stat -c %Y "$KO")" -gt "$(command stat -c %Y "$TMPDIR/before")" ] || fail "$KO was not rebuilt by the upgrade ($(command stat -c %y "$KO"))"
inv1=$(systemctl show -p InvocationID --value vtoa.service)
log "InvocationID before $inv0, after $inv1"
[ "$inv1" != "$inv0" ] || fail "vtoa.service was not restarted by the upgrade (InvocationID $inv0)"
assert_eq "$(unit_state)" "enabled active" "is-enabled/is-active after the upgrade"
started=$(date -d "$(systemctl show -p ActiveEnterTimestamp --value vtoa.service)" +%s)
[ "$started" -ge "$(command stat -c %Y "$KO")" ] || fail "vtoa.service (re)started at $started, before $KO was written ($(command stat -c %Y "$KO"))"
ours_loaded
assert_loaded_with_config
[ ! -e /var/lib/rpm-state/vtoa ] || fail "/var/lib/rpm-state/vtoa left after the transaction"
assert_real_client 8004
