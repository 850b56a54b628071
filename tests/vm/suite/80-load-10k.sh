# 8. Load: 10,000 IPv4 and 2,000 IPv6 TOA connections opened and closed,
#    every answer checked by the peer, entries_live back to 0.
. "$VTOA_LIB"
peer_setup
vtoa_load
server_start --v4 8004 --v6only 8066 --quiet
out=$(toa-peer load --src 192.0.2.2 --dst 192.0.2.1:8004 --count 10000 --parallel 64 --toa v4 --close fin) ||
	fail "10,000 IPv4 TOA connections: $out"
log "$out"
assert_match "$out" "count=10000 ok=10000 bad=0 failed=0" "IPv4 load"
out=$(toa-peer load --src 2001:db8::2 --dst "[2001:db8::1]:8066" --count 2000 --parallel 64 --toa v6 --close fin) ||
	fail "2,000 IPv6 TOA connections: $out"
log "$out"
assert_match "$out" "count=2000 ok=2000 bad=0 failed=0" "IPv6 load"
assert_eq "$(stat syn_recv_sock_toa)" 12000 syn_recv_sock_toa
assert_eq "$(stat getsockopt_toa)" 24000 "getsockopt_toa (1348 + 1349 per connection)"
i=0
while [ "$(stat entries_live)" != 0 ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
assert_eq "$(stat entries_live)" 0 "entries_live after all closed"
backend_lacks probe-missed "no kprobes, no probe_missed counter" || assert_eq "$(stat probe_missed)" 0 probe_missed
