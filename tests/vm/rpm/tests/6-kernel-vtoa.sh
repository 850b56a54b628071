# 6. A kernel that ships its own vtoa (as Alibaba Cloud Linux 3:
#    /lib/modules/KVER/kernel/net/vtoa/vtoa.ko; rpm-test put the VM suite's
#    stand-in there and ran depmod): the policy is "take over explicitly".
#    rpm -ivh: DKMS builds and installs ours, vtoa.service loads ours, the
#    kernel's file is untouched, the postinstall output names the kernel's
#    module and says ours takes its place. rpm -e: the kernel's file is still
#    there and libkmod resolves vtoa to it again.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"; . "$VTOA_PKGDIR/rpmlib.sh"
k=/lib/modules/$(uname -r)/kernel/net/vtoa/vtoa.ko
[ -f "$k" ] || fail "no $k (rpm-test's setup)"
sum=$(cat "$VTOA_PKGDIR/kernel-vtoa.sha256")
assert_eq "$(sha256sum <"$k" | cut -d' ' -f1)" "$sum" "sha256 of $k before"
assert_eq "$(modinfo -n vtoa)" "$k" "modinfo -n vtoa before the installation"
! vtoa_loaded || fail "a vtoa is loaded before the installation"
set -- $(rpms "$R1")
t0=$(date +%s)
# shellcheck disable=SC2086
out=$(rpm -ivh $RPMOPT "$@" 2>&1); rc=$?
printf '$ rpm -ivh %s %s\n' "$RPMOPT" "$*"; printf '%s\n' "$out" | sed 's/^/    /'
log "rpm -ivh took $(( $(date +%s) - t0 ))s"
dkms_build_time
assert_eq "$rc" 0 "exit status of rpm -ivh"
run dkms status -m vtoa
[ -f "$KO" ] || fail "DKMS did not install ours ($KO)"
assert_eq "$(modinfo -n vtoa)" "$KO" "modinfo -n vtoa with ours installed"
assert_eq "$(unit_state)" "enabled active" "is-enabled/is-active right after rpm -ivh"
ours_loaded
assert_eq "$(sha256sum <"$k" | cut -d' ' -f1)" "$sum" "sha256 of the kernel's $k after the installation"
run vtoa doctor || fail "vtoa doctor failed (exit status $_rc)"
assert_match "$_out" "the kernel ships its own vtoa \($k\); the loaded one is this package's" "doctor on the kernel's vtoa"
# the postinstall message (vtoa-dkms's %posttrans): only where the package has it
if rpm -q --scripts vtoa-dkms | grep -Eq '(echo|printf).*(net/vtoa|own vtoa|its place|instead|takes over)'; then
    assert_match "$out" "$k" "the postinstall output names the kernel's module"
    assert_match "$(printf '%s\n' "$out" | grep -F "$k")" "place|instead|over|preferred|precedence" "the postinstall output says ours takes its place"
    log "postinstall: $(printf '%s\n' "$out" | grep -F "$k")"
else
    log "NOTE: vtoa-dkms's %posttrans has no message about a kernel's own vtoa yet: not checked"
fi
# shellcheck disable=SC2086
run rpm -e $RPMOPT vtoa vtoa-dkms || fail "rpm -e failed"
assert_unloaded
[ -f "$k" ] || fail "rpm -e removed the kernel's $k"
assert_eq "$(sha256sum <"$k" | cut -d' ' -f1)" "$sum" "sha256 of the kernel's $k after rpm -e"
[ ! -e "$KO" ] || fail "$KO left after rpm -e"
assert_eq "$(modinfo -n vtoa)" "$k" "modinfo -n vtoa after rpm -e"
