# 8. Load: 10,000 IPv4 and 2,000 IPv6 TOA connections opened and closed,
#    every answer checked by the peer, entries_live back to 0.
#    On the debug kernel (tests/vm/run --debug-kernel) a tenth of that: KASAN
#    and lockdep under TCG cannot open 12,000 connections in the time limit.
. "$VTOA_LIB"
n4=10000 n6=2000
if [ -n "${VTOA_DEBUG_KERNEL:-}" ]; then
	n4=1000 n6=200
	echo "SKIP-CASE full-count: debug kernel under TCG, $n4 IPv4 + $n6 IPv6 connections instead of 10,000 + 2,000"
fi
peer_setup
vtoa_load
server_start --v4 8004 --v6only 8066 --quiet
out=$(toa-peer load --src 192.0.2.2 --dst 192.0.2.1:8004 --count $n4 --parallel 64 --toa v4 --close fin) ||
	fail "$n4 IPv4 TOA connections: $out"
log "$out"
assert_match "$out" "count=$n4 ok=$n4 bad=0 failed=0" "IPv4 load"
out=$(toa-peer load --src 2001:db8::2 --dst "[2001:db8::1]:8066" --count $n6 --parallel 64 --toa v6 --close fin) ||
	fail "$n6 IPv6 TOA connections: $out"
log "$out"
assert_match "$out" "count=$n6 ok=$n6 bad=0 failed=0" "IPv6 load"
assert_eq "$(stat syn_recv_sock_toa)" $((n4 + n6)) syn_recv_sock_toa
assert_eq "$(stat getsockopt_toa)" $((2 * (n4 + n6))) "getsockopt_toa (1348 + 1349 per connection)"
i=0
while [ "$(stat entries_live)" != 0 ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
assert_eq "$(stat entries_live)" 0 "entries_live after all closed"
assert_eq "$(stat probe_missed)" 0 probe_missed
