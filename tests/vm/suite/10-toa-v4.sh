# 1. IPv4 TOA: getsockopt 1348, getpeername and accept() give the injected
#    client; getsockname is unchanged. Without the module the same
#    connection shows the proxy, so this test fails without it.
. "$VTOA_LIB"
peer_setup
server_start --v4 8004
TOA="fe08 10e1 c6336407"		# 198.51.100.7:4321

out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 41001 --ack-opt "$TOA") ||
	fail "connection without module failed"
log "without module: $out"
assert_match "$out" "accept=4/192\.0\.2\.2:41001 peer=4/192\.0\.2\.2:41001 name=4/192\.0\.2\.1:8004 opt=E/ENOPROTOOPT toa=E/ENOPROTOOPT" "without module"

vtoa_load
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 41002 --ack-opt "$TOA") ||
	fail "connection with module failed"
log "with module: $out"
assert_match "$out" "^listener=v4 accept=4/198\.51\.100\.7:4321 peer=4/198\.51\.100\.7:4321 name=4/192\.0\.2\.1:8004 opt=4/198\.51\.100\.7:4321 toa=4/198\.51\.100\.7:4321$" "with module"
assert_eq "$(stat syn_recv_sock_toa)" 1 syn_recv_sock_toa
assert_eq "$(stat toa_v4)" 1 toa_v4
assert_eq "$(stat getsockopt_toa)" 2 getsockopt_toa
assert_eq "$(stat getname_toa_ok)" 2 "getname_toa_ok (accept + getpeername)"

# several TOA options in one segment: the first valid one wins
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 41003 \
	--ack-opt "fe08 0050 cb007101 $TOA $TOA") || fail "multi-TOA connection failed"
assert_match "$out" "peer=4/203\.0\.113\.1:80 .*opt=4/203\.0\.113\.1:80 " "first TOA wins"
assert_eq "$(stat toa_multiple)" 1 toa_multiple

# a TOA after the usual options (NOP, NOP, timestamps would need TS on SYN:
# use NOPs and a SACK-permitted-like unknown option instead)
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 41004 \
	--ack-opt "0101 2202 $TOA") || fail "TOA after other options failed"
assert_match "$out" "peer=4/198\.51\.100\.7:4321 " "TOA after NOPs and another option"

# a TOA on the SYN only is read too (88-defer-syn has every placement)
if backend_lacks syn-toa-old-listener "the SYN is read from the listener's saved SYN, and only listeners made after attach save it: the server is restarted"; then
	server_start --v4 8004
fi
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 41005 \
	--syn-opt "020405b4 $TOA") || fail "SYN-TOA connection failed"
assert_match "$out" "peer=4/198\.51\.100\.7:4321 .*toa=4/198\.51\.100\.7:4321$" "TOA on SYN only"

# counters are per network namespace: a fresh namespace has seen nothing
if ! backend_lacks netns-counters "the counters are global, not per network namespace"; then
other=$(unshare -n awk '$1 == "syn_recv_sock_toa" { print $2 }' /proc/net/vtoa_stats) ||
	fail "cannot read vtoa_stats in a new network namespace"
assert_eq "$other" 0 "syn_recv_sock_toa in a new network namespace"
fi
[ "$(stat syn_recv_sock_toa)" -ge 3 ] || fail "init namespace lost its counters"
