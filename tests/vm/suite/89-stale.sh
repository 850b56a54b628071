# Never a wrong client, by construction: TCP sockets come from a
# SLAB_TYPESAFE_BY_RCU cache, so the memory of a closed socket is the next
# socket at once. If its destruction were ever missed, its entry must not
# answer for that next socket. The test build (vtoa-fault.ko) can forget
# destructions on purpose; after 300 TOA connections forgotten that way,
# 600 direct connections must each see their real peer, the stale entries
# met on the way are dropped (toa_stale), and entries_live stays exact
# (the slab's own object count).
. "$VTOA_LIB"
backend_skip "a missed destruction in the module's table (vtoa-fault.ko); sk storage is freed by the kernel with its socket, so no entry can outlive it"
[ -f "$VTOA/vtoa-fault.ko" ] || fail "$VTOA/vtoa-fault.ko missing (tests/vm/run and the matrix build it)"
VTOA_KO=$VTOA/vtoa-fault.ko
peer_setup
vtoa_load
server_start --v4 8004
[ -d /sys/kernel/slab/vtoa_entry ] || fail "no vtoa_entry slab cache (guest needs slab_nomerge)"
slab_objects() { cut -d' ' -f1 /sys/kernel/slab/vtoa_entry/objects; }
# slab_check WHEN: the cache's objects are exactly entries_live + reqs_live.
# Freed entries leave the slab after an RCU grace period; shrinking the
# cache flushes the per-CPU slabs, whose free objects count as in use.
slab_check() {
	want=$(( $(stat entries_live) + $(stat reqs_live) ))
	i=0
	while [ "$(slab_objects)" != "$want" ] && [ $i -lt 50 ]; do
		echo 1 >/sys/kernel/slab/vtoa_entry/shrink || fail "cannot shrink the vtoa_entry cache"
		sleep 0.1; i=$((i + 1))
	done
	assert_eq "$(slab_objects)" "$want" "vtoa_entry slab objects = entries_live + reqs_live, $1"
}

param fault_skip_destruct 1
toa-peer load --src 192.0.2.2 --dst 192.0.2.1:8004 --count 300 --toa v4 >/dev/null ||
	fail "TOA connections with destructions forgotten failed"
param fault_skip_destruct 0
# the server closes each socket once its line is written (RST)
i=0
while [ "$(ss -Htn state established '( sport = :8004 )' | wc -l)" -gt 0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
# a later TOA socket at a forgotten one's address already replaced its
# entry (toa_stale); every other forgotten entry is still counted
s1=$(stat toa_stale) e1=$(stat entries_live)
log "after 300 forgotten TOA connections: entries_live=$e1 toa_stale=$s1"
assert_eq "$((e1 + s1))" 300 "entries_live + toa_stale after the forgotten connections"
[ "$e1" -ge 1 ] || fail "no forgotten entry left to meet"
slab_check "with forgotten entries"

out=$(toa-peer load --src 192.0.2.2 --dst 192.0.2.1:8004 --count 600 --toa none --expect proxy) ||
	fail "a direct connection at a reused address did not see its real peer: $out"
log "$out"
s2=$(stat toa_stale)
log "stale entries met and dropped by direct connections: $((s2 - s1)) of $e1"
[ "$s2" -gt "$s1" ] || fail "no direct socket reused a forgotten socket's memory: the test proved nothing"
assert_eq "$(( $(stat entries_live) + s2 ))" 300 "entries_live + toa_stale after the direct connections"
assert_eq "$(stat getname_toa_ok)" 600 "getname_toa_ok (only the 300 TOA connections, accept + getpeername)"

# TOA connections at reused addresses get their own TOA, not the old one
toa-peer load --src 192.0.2.2 --dst 192.0.2.1:8004 --count 300 --toa v4 --sport 20000 >/dev/null ||
	fail "TOA connections after the stale entries failed"
slab_check "after TOA connections at reused addresses"
vtoa_unload
