# TOAs that reach the server before or after the handshake ACK: on the SYN
# alone (kept for the request socket, given to the connection when it is
# created), and under TCP_DEFER_ACCEPT (nginx 'listen ... deferred',
# HAProxy defer-accept), where the kernel drops the bare handshake ACK and
# creates the connection from the first data segment. The first TOA of a
# connection wins. With SYN cookies the kernel keeps no request, so a TOA
# on the SYN alone is lost: counted in toa_syn_cookie.
. "$VTOA_LIB"
peer_setup
vtoa_load
A="fe08 10e1 c6336407"				# 198.51.100.7:4321
B="fe08 10e2 c6336408"				# 198.51.100.8:4322
V6="fd14 10e3 20010db8000c00000000000000000009"	# [2001:db8:c::9]:4323
conn() { toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 "$@" || fail "connection $* failed"; }
conn6() { toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:8066" "$@" || fail "connection $* failed"; }

# the module's request-socket counters; the eBPF backend keeps no request state
REQ=1
if backend_lacks request-counters "no request-socket state: reqs_live, toa_deferred, toa_syn_cookie, toa_req_dropped do not exist"; then REQ=; fi
req_eq() { [ -z "$REQ" ] || assert_eq "$(stat "$1")" "$2" "$3"; }
server_start --v4 8004 --v6only 8066
out=$(conn --sport 42001 --syn-opt "020405b4 $A")
assert_match "$out" "accept=4/198\.51\.100\.7:4321 peer=4/198\.51\.100\.7:4321 .*opt=4/198\.51\.100\.7:4321 toa=4/198\.51\.100\.7:4321$" "TOA on the SYN only"
out=$(conn --sport 42002 --syn-opt "020405b4 $A" --ack-opt "$B")
assert_match "$out" "peer=4/198\.51\.100\.7:4321 .*toa=4/198\.51\.100\.7:4321$" "SYN and ACK disagree: the SYN's (first) TOA wins"
out=$(conn6 --sport 42003 --syn-opt "020405b4 $V6")
assert_match "$out" "peer=6/\[2001:db8:c::9\]:4323 .*toa=6/\[2001:db8:c::9\]:4323$" "IPv6 TOA on the SYN only"
out=$(conn --sport 42004 --syn-opt "020405b4 fe0710e1c66364" --ack-opt "$B")
assert_match "$out" "peer=4/198\.51\.100\.8:4322 " "a malformed TOA on the SYN is ignored, the ACK's is used"
assert_eq "$(stat toa_syn)" 3 toa_syn
req_eq reqs_live 0 "reqs_live (every kept TOA went to its connection)"
server_stop

server_start --v4 8004 --v6only 8066 --defer 5
drops=$(tcpext TCPDeferAcceptDrop)
ACKLOST=
backend_lacks defer-ack-toa "under TCP_DEFER_ACCEPT the held-back ACK reaches no sock_ops callback (the connection is made from the first data segment): a TOA only on that ACK is lost, the data segment's is read (checked)" && ACKLOST=1
out=$(conn --sport 42011 --ack-opt "$A")
if [ -n "$ACKLOST" ]; then
	assert_match "$out" "peer=4/192\.0\.2\.2:42011 .*toa=E/$E_NOENT$" "deferred accept, TOA on the handshake ACK only: lost"
else
	assert_match "$out" "peer=4/198\.51\.100\.7:4321 .*toa=4/198\.51\.100\.7:4321$" "deferred accept, TOA on the handshake ACK only"
fi
[ "$(tcpext TCPDeferAcceptDrop)" -gt "$drops" ] || fail "the kernel did not hold back the bare ACK (TCPDeferAcceptDrop $drops)"
out=$(conn --sport 42012 --data-opt "$A")
assert_match "$out" "peer=4/198\.51\.100\.7:4321 .*toa=4/198\.51\.100\.7:4321$" "deferred accept, TOA on the first data segment only"
out=$(conn --sport 42013 --ack-opt "$A" --data-opt "$B")
if [ -n "$ACKLOST" ]; then
	assert_match "$out" "peer=4/198\.51\.100\.8:4322 .*toa=4/198\.51\.100\.8:4322$" "deferred accept, ACK and data disagree: the data's (the ACK's is lost)"
else
	assert_match "$out" "peer=4/198\.51\.100\.7:4321 .*toa=4/198\.51\.100\.7:4321$" "deferred accept, ACK and data disagree: the ACK's (first) wins"
fi
out=$(conn --sport 42014 --syn-opt "020405b4 $B" --ack-opt "$A")
assert_match "$out" "peer=4/198\.51\.100\.8:4322 " "deferred accept, SYN and ACK: the SYN's wins"
out=$(conn6 --sport 42015 --ack-opt "$V6")
if [ -n "$ACKLOST" ]; then
	assert_match "$out" "peer=6/\[2001:db8::2\]:42015 " "deferred accept, IPv6 TOA on the ACK: lost"
else
	assert_match "$out" "peer=6/\[2001:db8:c::9\]:4323 " "deferred accept, IPv6 TOA on the ACK"
fi
out=$(conn --sport 42016)
assert_match "$out" "peer=4/192\.0\.2\.2:42016 .*toa=E/$E_NOENT$" "deferred accept without a TOA: the proxy"
req_eq toa_deferred 3 "toa_deferred (TOAs kept from held-back ACKs)"
req_eq reqs_live 0 reqs_live
server_stop

sysctl -qw net.ipv4.tcp_syncookies=2 || fail "cannot force SYN cookies"
server_start --v4 8004
out=$(conn --sport 42021 --syn-opt "020405b4 $A")
assert_match "$out" "peer=4/192\.0\.2\.2:42021 .*toa=E/$E_NOENT$" "SYN cookies: a TOA on the SYN alone cannot be kept"
req_eq toa_syn_cookie 1 "toa_syn_cookie (the SYN's TOA, lost to the cookie)"
req_eq toa_req_dropped 0 "toa_req_dropped (nothing was kept, nothing abandoned)"
out=$(conn --sport 42022 --syn-opt "020405b4 $A" --ack-opt "$B")
assert_match "$out" "peer=4/198\.51\.100\.8:4322 " "SYN cookies: the ACK's TOA is read"
sysctl -qw net.ipv4.tcp_syncookies=1
req_eq reqs_live 0 reqs_live
