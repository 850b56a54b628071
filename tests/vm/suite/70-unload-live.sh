# 7. Unload with live TOA connections while the server hammers
#    getpeername/getsockopt on them; reload; repeat. No warning (the guest
#    runs with panic_on_warn), no leak (entries_live back to 0, slab
#    objects gone), and afterwards sockets behave as without the module.
. "$VTOA_LIB"
peer_setup
vtoa_load
server_start --v4 8004 --dual 8006 --hammer --quiet
base=50000
toa-peer load --src 192.0.2.2 --dst 192.0.2.1:8004 --count 200 --parallel 32 --toa v4 --close keep --sport $base ||
	fail "opening 200 kept TOA connections failed"
toa-peer load --src 2001:db8::2 --dst "[2001:db8::1]:8006" --count 100 --parallel 32 --toa v6 --close keep --sport $base ||
	fail "opening 100 kept v6 TOA connections failed"
assert_eq "$(stat entries_live)" 300 "entries_live with 300 open"
SLAB=1
backend_lacks slab-cache "the TOAs live in sk storage (freed with their socket or the map), not in the module's vtoa_entry slab cache: entries_live is checked, not slab objects" && SLAB=
if [ -n "$SLAB" ]; then
	[ -d /sys/kernel/slab/vtoa_entry ] || fail "no vtoa_entry slab cache (guest needs slab_nomerge)"
	objs=$(cut -d' ' -f1 /sys/kernel/slab/vtoa_entry/objects)
	[ "$objs" -ge 300 ] || fail "vtoa_entry slab objects: $objs, want >= 300"
fi

cycle=0
while [ $cycle -lt 5 ]; do
	cycle=$((cycle + 1))
	vtoa_unload
	sleep 0.3
	vtoa_load
	toa-peer load --src 192.0.2.3 --dst 192.0.2.1:8004 --count 40 --parallel 20 --toa v4 \
		--close keep --sport $((base + 1000 + cycle * 100)) ||
		fail "cycle $cycle: new TOA connections failed"
	assert_eq "$(stat entries_live)" 40 "cycle $cycle: entries_live (only this load's sockets)"
	kill -0 "$SERVER_PID" || fail "cycle $cycle: server died"
done
log "5 unload/reload cycles under getpeername load"

# stop the hammer: it checks every answer it got and exits 1 on any bad one
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
rc=$?
SERVER_PID=
cat "$SERVER_OUT"
[ $rc -eq 0 ] || fail "hammer saw bad answers (exit $rc)"
grep -Eq "hammer calls=[1-9][0-9]* good=[1-9][0-9]* bad=0" "$SERVER_OUT" || fail "hammer summary missing"

# the server's sockets are gone (closed with RST): no entry may remain
i=0
while [ "$(stat entries_live)" != 0 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
assert_eq "$(stat entries_live)" 0 "entries_live after close"
# the guest boots with slab_nomerge, so the module's cache is its own:
# after an RCU grace period and a shrink, no object may be left in it
if [ -n "$SLAB" ]; then
	sleep 1
	echo 1 >/sys/kernel/slab/vtoa_entry/shrink || fail "cannot shrink the vtoa_entry cache"
	assert_eq "$(cut -d' ' -f1 /sys/kernel/slab/vtoa_entry/objects)" 0 "vtoa_entry slab objects after close"
fi

# after the last unload sockets behave as without the module
server_start --v4 8004
vtoa_unload
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 47001 --ack-opt "fe08 10e1 c6336407") ||
	fail "connection after unload failed"
assert_match "$out" "accept=4/192\.0\.2\.2:47001 peer=4/192\.0\.2\.2:47001 .*opt=E/ENOPROTOOPT" "after unload"
