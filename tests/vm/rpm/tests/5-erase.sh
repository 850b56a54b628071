# 5. rpm -e vtoa vtoa-dkms: the service stopped and gone, the module unloaded, the
#    source, the DKMS tree and the installed .ko removed, no enablement symlinks,
#    rpm knows no vtoa. The changed configuration (1) is what rpm does with a
#    modified %config(noreplace) file: saved as /etc/vtoa/vtoa.conf.rpmsave,
#    which keeps /etc/vtoa; nothing else is left there.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"; . "$VTOA_PKGDIR/rpmlib.sh"
vtoa_loaded || fail "module not loaded before the erase (3 should have left it running)"
# shellcheck disable=SC2086
run rpm -e $RPMOPT vtoa vtoa-dkms || fail "rpm -e failed"
assert_unloaded
assert_proxy_peer 8004
left=
for p in /usr/lib/systemd/system/vtoa.service /lib/systemd/system/vtoa.service /etc/systemd/system/vtoa.service \
         /usr/sbin/vtoa /usr/lib/systemd/system-preset/90-vtoa.preset /usr/src/vtoa-* /var/lib/dkms/vtoa \
         /var/lib/rpm-state/vtoa /lib/modules/*/updates/vtoa.ko* /lib/modules/*/updates/dkms/vtoa.ko* \
         /lib/modules/*/extra/vtoa.ko* /lib/modules/*/extra/*/vtoa.ko*; do
    [ -e "$p" ] || [ -L "$p" ] && left="$left $p"
done
[ -z "$left" ] || fail "left after rpm -e:$left"
links=$(find /etc/systemd/system -name 'vtoa.service' 2>&1)
[ -z "$links" ] || fail "enablement symlinks left: $links"
assert_eq "$(systemctl show -p LoadState --value vtoa.service)" not-found "LoadState of vtoa.service"
assert_eq "$(systemctl list-unit-files --no-legend 'vtoa.service' 2>&1)" "" "systemctl list-unit-files vtoa.service"
assert_eq "$(find /lib/modules -name 'vtoa.ko*')" "" "vtoa.ko anywhere under /lib/modules"
assert_eq "$(rpm -qa | grep vtoa)" "" "rpm -qa | grep vtoa"
assert_eq "$(dkms status -m vtoa 2>&1)" "" "dkms status -m vtoa"
run ls -la /etc/vtoa
assert_eq "$(ls -A /etc/vtoa)" "vtoa.conf.rpmsave" "what is left in /etc/vtoa"
assert_match "$(cat /etc/vtoa/vtoa.conf.rpmsave)" "trusted_sources = $TRUSTED_CONF" "the saved configuration is the changed one"
