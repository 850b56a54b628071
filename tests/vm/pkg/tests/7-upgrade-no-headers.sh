# 7. apt-get upgrade to the newer build with the module loaded (after
#    6-headers-later) but the running kernel's headers removed: the old
#    vtoa-dkms's prerm removes the module from DKMS, the new one cannot be
#    built. vtoa's postinst keeps the loaded module (no restart, which would
#    unload it and fail to load) and says so in one line; vtoa-dkms's line
#    says it too. The service is active, not failed; the module is the same
#    (same /sys/module/vtoa, no reload in the kernel log); the real client.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
rel=$(uname -r)
[ -d /run/systemd/system ] || fail "systemd is not running"
assert_eq "$(unit_state)" "enabled active" "vtoa.service before the upgrade"
vtoa_loaded || fail "module vtoa not loaded before the upgrade (6-headers-later should have left it loaded)"
inv=$(systemctl show -p InvocationID --value vtoa.service)
ino=$(command stat -c %i /sys/module/vtoa)
run env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "linux-headers-$rel" || fail "apt-get purge linux-headers-$rel failed"
[ ! -e "/lib/modules/$rel/build" ] || fail "/lib/modules/$rel/build still there"
upgrade_repo_enable
run env DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -q || fail "apt-get upgrade without headers failed"
out=$_out
assert_eq "$(dpkg-query -W -f '${Version} ${Status}\n' vtoa vtoa-dkms | sort -u)" "$UPGRADE_VERSION install ok installed" "vtoa, vtoa-dkms after the upgrade"
audit=$(dpkg --audit 2>&1) ; [ -z "$audit" ] || fail "dpkg --audit: $audit"
line="vtoa: no vtoa module built for $rel; the loaded module is kept until the next boot (install linux-headers-$rel to rebuild)"
assert_eq "$(printf '%s\n' "$out" | tr -d '\r' | grep -c '^vtoa: ')" 1 "lines of apt-get upgrade's output from vtoa's postinst"
assert_eq "$(printf '%s\n' "$out" | tr -d '\r' | grep '^vtoa: ')" "$line" "vtoa's postinst line"
assert_match "$out" "vtoa-dkms: vtoa is not built for the running kernel $rel: its headers are not installed; the loaded vtoa module is kept until the next boot; run: " "vtoa-dkms's postinst line"
assert_eq "$(unit_state)" "enabled active" "vtoa.service after the upgrade (not failed)"
assert_eq "$(systemctl show -p InvocationID --value vtoa.service)" "$inv" "vtoa.service's InvocationID (not restarted)"
vtoa_loaded || fail "module vtoa not loaded after the upgrade"
assert_eq "$(command stat -c %i /sys/module/vtoa)" "$ino" "/sys/module/vtoa's inode (the module never unloaded)"
k=$(dmesg 2>/dev/null | grep 'vtoa: \(unloaded\|.* loaded\)' || true)
[ -z "$k" ] || fail "the kernel log has a reload: $k"
assert_real_client 8004
