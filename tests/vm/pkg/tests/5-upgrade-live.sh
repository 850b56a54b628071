# 5a. apt-get upgrade to the newer build (pkg-test's second repository) in the
#     booted guest, systemd running, the headers installed, a TOA connection
#     open: DKMS rebuilds the module from the same source (the same
#     srcversion), so vtoa's postinst keeps the loaded module and says so in
#     one line; the service is not restarted (same InvocationID), the module
#     never unloaded (the same /sys/module/vtoa directory, no "vtoa: unloaded"
#     in the kernel log), the open connection still has the real client's
#     address, a new one too. Also: versions, the configuration kept,
#     vtoa-dkms still automatic, the .ko rebuilt (its checksum goes to
#     $VTOA_PKGDIR/upgrade-ko.sha256 for 5-upgrade after the reboot).
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
rel=$(uname -r)
ko=/lib/modules/$rel/updates/dkms/vtoa.ko
[ -d /run/systemd/system ] || fail "systemd is not running"
[ -e "/lib/modules/$rel/build" ] || fail "no headers for $rel"
assert_eq "$(unit_state)" "enabled active" "vtoa.service before the upgrade"
assert_loaded_with_config
live_conn_start 8005
assert_eq "$(live_conn_peer)" "4/198.51.100.7:4321" "getpeername() of the open connection before the upgrade"
inv=$(systemctl show -p InvocationID --value vtoa.service)
ino=$(command stat -c %i /sys/module/vtoa)
src=$(cat /sys/module/vtoa/srcversion)
ko_before=$(command stat -c '%i %Y.%y' "$ko")
conf_sum=$(sha256sum <"$CONF")
log "before: InvocationID=$inv /sys/module/vtoa inode $ino srcversion $src; $ko: $ko_before"
upgrade_repo_enable
run env DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -q || fail "apt-get upgrade failed"
out=$_out
run dpkg-query -W -f '${Package} ${Version} ${Status}\n' vtoa vtoa-dkms
assert_eq "$(dpkg-query -W -f '${Version} ${Status}\n' vtoa vtoa-dkms | sort -u)" "$UPGRADE_VERSION install ok installed" "vtoa, vtoa-dkms after the upgrade"
assert_eq "$(apt-mark showauto vtoa-dkms)" vtoa-dkms "vtoa-dkms still marked automatically installed"
assert_eq "$(sha256sum <"$CONF")" "$conf_sum" "/etc/vtoa/vtoa.conf unchanged by the upgrade"
[ -f "$ko" ] || fail "DKMS did not rebuild $ko"
ko_after=$(command stat -c '%i %Y.%y' "$ko")
log "$ko after: $ko_after"
[ "$ko_before" != "$ko_after" ] || fail "$ko was not rebuilt by the upgrade"
assert_eq "$(modinfo -F srcversion "$ko")" "$src" "srcversion of the rebuilt $ko (the same source)"
line="vtoa: the vtoa module is unchanged (srcversion $src): kept loaded, live connections keep their addresses"
assert_eq "$(printf '%s\n' "$out" | tr -d '\r' | grep -c '^vtoa: ')" 1 "lines of apt-get upgrade's output from vtoa's postinst"
assert_eq "$(printf '%s\n' "$out" | tr -d '\r' | grep '^vtoa: ')" "$line" "vtoa's postinst line"
assert_eq "$(unit_state)" "enabled active" "vtoa.service after the upgrade"
assert_eq "$(systemctl show -p InvocationID --value vtoa.service)" "$inv" "vtoa.service's InvocationID (not restarted)"
vtoa_loaded || fail "module vtoa not loaded after the upgrade"
assert_eq "$(command stat -c %i /sys/module/vtoa)" "$ino" "/sys/module/vtoa's inode (the module never unloaded)"
k=$(dmesg 2>/dev/null | grep 'vtoa: \(unloaded\|.* loaded\)' || true)
[ -z "$k" ] || fail "the kernel log has a reload: $k"
assert_loaded_with_config
assert_eq "$(live_conn_peer)" "4/198.51.100.7:4321" "getpeername() of the connection opened before the upgrade"
kill "$LIVE_SERVER_PID" 2>/dev/null
assert_real_client 8004
sha256sum <"$ko" | cut -d' ' -f1 >"$VTOA_PKGDIR/upgrade-ko.sha256"
