# 2. IPv6 TOA on an IPv6 listener; IPv4 TOA on a dual-stack listener
#    (v4-mapped); IPv6 TOA on an IPv4 listener (sockaddr_in6 returned).
. "$VTOA_LIB"
peer_setup
server_start --v4 8004 --dual 8006 --v6only 8066
TOA4="fe08 10e1 c6336407"					# 198.51.100.7:4321
TOA6="fd14 10e1 20010db8000c00000000000000000007"		# [2001:db8:c::7]:4321
vtoa_load

out=$(toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:8066" --sport 42001 --ack-opt "$TOA6") ||
	fail "v6 connection failed"
log "v6 TOA, v6 listener: $out"
assert_match "$out" "^listener=v6only accept=6/\[2001:db8:c::7\]:4321 peer=6/\[2001:db8:c::7\]:4321 name=6/\[2001:db8::1\]:8066 opt=6/\[2001:db8:c::7\]:4321 toa=6/\[2001:db8:c::7\]:4321$" "v6 TOA on v6 listener"

out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8006 --sport 42002 --ack-opt "$TOA4") ||
	fail "v4 to dual-stack connection failed"
log "v4 TOA, dual listener: $out"
assert_match "$out" "^listener=dual accept=6/\[::ffff:198\.51\.100\.7\]:4321 peer=6/\[::ffff:198\.51\.100\.7\]:4321 name=6/\[::ffff:192\.0\.2\.1\]:8006 opt=4/198\.51\.100\.7:4321 toa=4/198\.51\.100\.7:4321$" "v4 TOA on dual listener"

out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 42003 --ack-opt "$TOA6") ||
	fail "v6 TOA to v4 listener failed"
log "v6 TOA, v4 listener: $out"
if backend_lacks v6-toa-on-v4-socket "a cgroup getpeername4 program cannot turn the sockaddr_in into a sockaddr_in6: getpeername()/accept() show the proxy, getsockopt gives the TOA"; then
	assert_match "$out" "^listener=v4 accept=4/192\.0\.2\.2:42003 peer=4/192\.0\.2\.2:42003 name=4/192\.0\.2\.1:8004 opt=6/\[2001:db8:c::7\]:4321 toa=6/\[2001:db8:c::7\]:4321$" "v6 TOA on v4 listener (ebpf)"
else
assert_match "$out" "^listener=v4 accept=6/\[2001:db8:c::7\]:4321 peer=6/\[2001:db8:c::7\]:4321 name=4/192\.0\.2\.1:8004 opt=6/\[2001:db8:c::7\]:4321 toa=6/\[2001:db8:c::7\]:4321$" "v6 TOA on v4 listener"
fi

out=$(toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:8006" --sport 42004 --ack-opt "$TOA4") ||
	fail "v4 TOA over v6 to dual listener failed"
assert_match "$out" "accept=6/\[::ffff:198\.51\.100\.7\]:4321 peer=6/\[::ffff:198\.51\.100\.7\]:4321 .*opt=4/198\.51\.100\.7:4321 " "v4 TOA over IPv6"

assert_eq "$(stat toa_v6)" 2 toa_v6
assert_eq "$(stat toa_v4)" 2 toa_v4

# dpvs-style IPv6 TOA (kind 254, length 20) only with ipv6_kind254=1
TOA6K="fe14 10e1 20010db8000c00000000000000000007"
out=$(toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:8066" --sport 42005 --ack-opt "$TOA6K") ||
	fail "254/20 connection failed"
assert_match "$out" "peer=6/\[2001:db8::2\]:42005 .*toa=E/$E_NOENT" "254/20 ignored by default"
param ipv6_kind254 1
out=$(toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:8066" --sport 42006 --ack-opt "$TOA6K") ||
	fail "254/20 connection failed"
assert_match "$out" "peer=6/\[2001:db8:c::7\]:4321 .*toa=6/\[2001:db8:c::7\]:4321" "254/20 with ipv6_kind254=1"
