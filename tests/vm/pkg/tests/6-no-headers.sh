# 6. The packages were installed (from the host) into an image without the headers
#    of its kernel: the installation completed (both packages "install ok
#    installed"), and `vtoa doctor` names the missing headers package.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
rel=$(uname -r)
[ ! -e "/lib/modules/$rel/build" ] || fail "/lib/modules/$rel/build exists: this image has headers"
run dpkg-query -W -f '${Package} ${Version} ${Status}\n' vtoa vtoa-dkms
assert_eq "$(dpkg-query -W -f '${Status}\n' vtoa vtoa-dkms | sort -u)" "install ok installed" "dpkg status of vtoa, vtoa-dkms"
bad=$(dpkg-query -W -f '${Status} ${Package}\n' | grep -v '^install ok installed ') && fail "packages not fully installed: $bad"
run systemctl status --no-pager --lines=10 vtoa.service || true
assert_unloaded
run vtoa doctor && fail "vtoa doctor exits 0 without the module"
assert_match "$_out" "linux-headers-$rel" "vtoa doctor names the headers package"
