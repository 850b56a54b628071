# Smoke: the module loads, exposes /proc/net/vtoa_stats, shows in lsmod, unloads cleanly.
. "$VTOA_LIB"
backend_skip "lsmod and /proc/net/vtoa_stats are the module's; the eBPF attach/detach is in every other test"

vtoa_loaded && fail "module already loaded before the test"
vtoa_load
vtoa_loaded || fail "module not in /proc/modules after insmod"
lsmod | grep -q "^$VTOA_KMOD_NAME " || fail "lsmod does not show $VTOA_KMOD_NAME"
[ -r /proc/net/vtoa_stats ] || fail "/proc/net/vtoa_stats missing"
log "vtoa_stats:"
sed 's/^/#   /' /proc/net/vtoa_stats
vtoa_unload
vtoa_loaded && fail "module still loaded after rmmod"
lsmod | grep -q "^$VTOA_KMOD_NAME " && fail "lsmod still shows $VTOA_KMOD_NAME"
[ -e /proc/net/vtoa_stats ] && fail "/proc/net/vtoa_stats still there after rmmod"
exit 0
