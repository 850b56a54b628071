# 9a. A kernel upgrade with vtoa installed (after 1-install): apt-get install
#     the newer kernel and its headers (bookworm-backports' 6.12, from the
#     repository pkg-test --kernel-upgrade put on the disk). DKMS's kernel
#     hook builds vtoa for it while the old kernel runs; `dkms status` shows
#     it installed for the new kernel, `vtoa status` says so for the kernel
#     that boots next, and the running kernel's module is untouched.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
new=$(cat "$VTOA_PKGDIR/kernel-upgrade-release") || fail "no $VTOA_PKGDIR/kernel-upgrade-release"
old=$(uname -r)
[ "$new" != "$old" ] || fail "the new kernel $new is the running one"
vtoa_loaded || fail "module vtoa not loaded before the kernel upgrade"
src=$(cat /sys/module/vtoa/srcversion)
re_new=$(printf '%s' "$new" | sed 's/[.+]/\\&/g')
t0=$(date +%s)
run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "linux-image-$new" "linux-headers-$new" || fail "apt-get install linux-image-$new linux-headers-$new failed"
log "the kernel upgrade took $(( $(date +%s) - t0 ))s (DKMS's build of vtoa for $new and the initramfs under TCG included)"
ko=/lib/modules/$new/updates/dkms/vtoa.ko
[ -f "$ko" ] || fail "DKMS did not build $ko when $new was installed"
assert_eq "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" "$new" "vermagic of $ko"
[ -f "/boot/vmlinuz-$new" ] && [ -f "/boot/initrd.img-$new" ] || fail "no /boot/vmlinuz-$new or /boot/initrd.img-$new"
run dkms status -m vtoa
assert_match "$_out" "vtoa/[^ ]*, $re_new, x86_64: installed" "dkms status for $new"
run vtoa status
assert_match "$_out" "installed \([^)]*\) for $re_new \(newest: a default boot starts it next\)" "vtoa status: the module for the kernel that boots next"
assert_eq "$(cat /sys/module/vtoa/srcversion)" "$src" "the running kernel's module (not reloaded)"
assert_real_client 8004
