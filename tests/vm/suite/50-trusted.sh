# 5. trusted_sources: TOA from a trusted proxy address is believed, from
#    any other ignored and counted; changed at run time; IPv4 and IPv6.
. "$VTOA_LIB"
peer_setup
server_start --v4 8004 --v6only 8066
TOA="fe08 10e1 c6336407"
TOA6="fd14 10e1 20010db8000c00000000000000000007"

vtoa_load trusted_sources=192.0.2.2/32
assert_eq "$(param trusted_sources)" "192.0.2.2/32" "trusted_sources as loaded"
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 45001 --ack-opt "$TOA") || fail "conn 1"
assert_match "$out" "peer=4/198\.51\.100\.7:4321 " "trusted proxy believed"
out=$(toa-peer conn --src 192.0.2.3 --dst 192.0.2.1:8004 --sport 45002 --ack-opt "$TOA") || fail "conn 2"
assert_match "$out" "peer=4/192\.0\.2\.3:45002 .*toa=E/$E_NOENT" "untrusted source ignored"
assert_eq "$(stat toa_untrusted)" 1 toa_untrusted

# change at run time: now only .3 and an IPv6 range are trusted
param trusted_sources "192.0.2.3/32, 2001:db8::/64"
assert_eq "$(param trusted_sources)" "192.0.2.3/32,2001:db8::/64" "trusted_sources canonical"
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 45003 --ack-opt "$TOA") || fail "conn 3"
assert_match "$out" "peer=4/192\.0\.2\.2:45003 " ".2 no longer trusted"
out=$(toa-peer conn --src 192.0.2.3 --dst 192.0.2.1:8004 --sport 45004 --ack-opt "$TOA") || fail "conn 4"
assert_match "$out" "peer=4/198\.51\.100\.7:4321 " ".3 now trusted"
out=$(toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:8066" --sport 45005 --ack-opt "$TOA6") || fail "conn 5"
assert_match "$out" "peer=6/\[2001:db8:c::7\]:4321 " "IPv6 proxy in trusted /64"
param trusted_sources "2001:db8:1::/48"
out=$(toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:8066" --sport 45006 --ack-opt "$TOA6") || fail "conn 6"
assert_match "$out" "peer=6/\[2001:db8::2\]:45006 " "IPv6 proxy outside trusted /48"
assert_eq "$(stat toa_untrusted)" 3 toa_untrusted

# bad values are refused and change nothing
for bad in "192.0.2.0/33" "not-an-address" "2001:db8::/129" "192.0.2.1/8x"; do
	if param_try trusted_sources "$bad" 2>/dev/null; then
		fail "trusted_sources accepted '$bad'"
	fi
done
assert_eq "$(param trusted_sources)" "2001:db8:1::/48" "unchanged after bad values"
if backend_lacks kernel-log-line "the loader names a bad value on its stderr, not in the kernel log"; then
	param_try trusted_sources not-an-address 2>&1 | grep -q "vtoa-bpf: trusted_sources: 'not-an-address' is not an IPv4/IPv6 address or CIDR" ||
		fail "no loader message for the bad value"
else
dmesg | grep -q "vtoa: trusted_sources: 'not-an-address' is not an IPv4/IPv6 address or CIDR" ||
	fail "no kernel log line for the bad value"
fi

# empty: trust every source again
param trusted_sources ""
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 45007 --ack-opt "$TOA") || fail "conn 7"
assert_match "$out" "peer=4/198\.51\.100\.7:4321 " "empty list trusts all"
