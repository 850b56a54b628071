# 4. apt-get purge vtoa alone in the booted guest (what README says): the
#    service is stopped and gone, the module unloaded, and vtoa-dkms (installed
#    as vtoa's dependency) is autoremovable, the only one; apt-get autoremove
#    --purge removes it: the source, the DKMS tree, the installed .ko and
#    /etc/vtoa are gone, dpkg knows no vtoa file any more.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
vtoa_loaded || fail "module not loaded before the purge (test 5 should have left it running)"
run env DEBIAN_FRONTEND=noninteractive apt-get purge -y vtoa || fail "apt-get purge vtoa failed"
assert_unloaded
assert_eq "$(dpkg-query -W -f '${Status}' vtoa-dkms)" "install ok installed" "vtoa-dkms after apt-get purge vtoa"
auto=$(apt-get -s autoremove | sed -n 's/^Remv \([^ ]*\).*/\1/p')
assert_eq "$auto" vtoa-dkms "what apt-get autoremove would remove"
run env DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y || fail "apt-get autoremove --purge failed"
assert_proxy_peer 8004
left=
for p in /lib/systemd/system/vtoa.service /etc/systemd/system/vtoa.service \
         /etc/systemd/system/multi-user.target.wants/vtoa.service /usr/sbin/vtoa \
         /usr/src/vtoa-* /var/lib/dkms/vtoa /lib/modules/*/updates/dkms/vtoa.ko* /etc/vtoa \
         /var/lib/systemd/deb-systemd-helper-enabled/vtoa.service.dsh-also \
         /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/vtoa.service; do
    [ -e "$p" ] || [ -L "$p" ] && left="$left $p"
done
[ -z "$left" ] || fail "left after purge:$left"
units=$(systemctl list-unit-files --no-legend 'vtoa.service' 2>&1)
[ -z "$units" ] || fail "systemctl still knows vtoa.service: $units"
load=$(systemctl show -p LoadState --value vtoa.service)
assert_eq "$load" not-found "LoadState of vtoa.service"
assert_eq "$(dpkg-query -W -f '${Status}' vtoa vtoa-dkms 2>/dev/null)" "" "dpkg status of vtoa, vtoa-dkms"
s=$(dpkg -S vtoa 2>&1) && fail "dpkg -S vtoa still finds: $s"
log "dpkg -S vtoa: $s"
assert_eq "$(find /lib/modules -name 'vtoa.ko*')" "" "vtoa.ko anywhere under /lib/modules"
