# TCP Fast Open: the child socket is created from the SYN and can be
# accepted before the handshake completes. A TOA on the SYN (LVS style) is
# read there; a TOA only on the segment that completes the handshake (dpvs
# style) is read when that segment arrives, so getpeername() after it
# gives the client; an experimental Fast Open option (kind 254, magic
# 0xF989) on the SYN is never taken for a TOA.
. "$VTOA_LIB"
peer_setup
# server side on for every listener, no cookie needed: 0x1|0x2|0x200|0x400
sysctl -qw net.ipv4.tcp_fastopen=1539 || fail "cannot enable TCP Fast Open"
server_start --v4 8004 --v6only 8066 --hammer
vtoa_load
tfo_children() {
	awk '/^TcpExt:/ { if (!seen) { seen = 1; for (i = 2; i <= NF; i++) if ($i == "TCPFastOpenPassive") col = i; next } print $col }' /proc/net/netstat
}
before=$(tfo_children)

# 1. TFO cookie request (kind 34) and a TOA on the SYN: right at accept()
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 47101 --close keep \
	--syn-opt "020405b4 2202 fe08 10e1 c6336407") || fail "TFO connection with TOA on the SYN failed"
assert_match "$out" "peer=4/198\.51\.100\.7:4321 .*toa=4/198\.51\.100\.7:4321$" "TOA on a Fast Open SYN"
[ "$(tfo_children)" -gt "$before" ] || fail "the kernel did not create a Fast Open child (TCPFastOpenPassive)"

# 2. TFO, TOA (port 4322) only on the ACK completing the handshake
toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 47102 --close keep --syn-opt "020405b4 2202" \
	--ack-opt "fe08 10e2 c6336407" >/dev/null || fail "TFO connection with TOA on the ACK failed"
# 3. the experimental TFO option on the SYN: not a TOA; no TOA anywhere
toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 47103 --close keep --syn-opt "020405b4 fe04f989" \
	>/dev/null || fail "connection with the experimental TFO option failed"
assert_eq "$(stat toa_tfo)" 1 toa_tfo
assert_eq "$(stat toa_malformed)" 0 "toa_malformed (a TFO option is not a malformed TOA)"
# 4. the experimental TFO option on the SYN, a TOA (port 4324) on the ACK
toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 47104 --close keep --syn-opt "020405b4 fe04f989" \
	--ack-opt "fe08 10e4 c6336407" >/dev/null || fail "experimental TFO + ACK TOA failed"
# 5. IPv6, TOA (port 4325) on the ACK
toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:8066" --sport 47105 --close keep --syn-opt "020405b4 2202" \
	--ack-opt "fd14 10e5 20010db8000c00000000000000000007" >/dev/null || fail "IPv6 TFO connection failed"
[ "$(tfo_children)" -ge $((before + 4)) ] || fail "not every connection was a Fast Open one"

# now, after the handshakes completed, ask every socket again
kill -USR1 "$SERVER_PID"
i=0
while ! grep -q '^now end' "$SERVER_OUT" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep '^now fd' "$SERVER_OUT"
grep -q "^now fd=.* peer=4/192\.0\.2\.2:47103 opt=4/192\.0\.2\.2:47103 toa=E/$E_NOENT " "$SERVER_OUT" ||
	fail "experimental TFO option taken for a TOA"
if backend_lacks tfo-ack-toa "a Fast Open child is made from the SYN; sock_ops gets no callback with the segment completing its handshake (bpf_skops_parse_hdr skips SYN_RECV): a TOA only on that ACK is lost, the proxy is seen (checked)"; then
	for c in "4/192\.0\.2\.2:47102" "4/192\.0\.2\.2:47104" "6/\[2001:db8::2\]:47105"; do
		grep -q "^now fd=.* peer=$c opt=$c " "$SERVER_OUT" || fail "Fast Open, TOA on the ACK only: not the proxy's $c"
	done
	assert_eq "$(stat entries_live)" 1 "entries_live (the SYN's TOA connection)"
else
	grep -q '^now fd=.* peer=4/198\.51\.100\.7:4322 opt=4/198\.51\.100\.7:4322 ' "$SERVER_OUT" ||
		fail "TOA on the ACK of a Fast Open connection not seen after the handshake"
	grep -q '^now fd=.* peer=4/198\.51\.100\.7:4324 ' "$SERVER_OUT" ||
		fail "TOA on the ACK after an experimental TFO SYN not seen"
	grep -q '^now fd=.* peer=6/\[2001:db8:c::7\]:4325 ' "$SERVER_OUT" ||
		fail "IPv6 TOA on the ACK of a Fast Open connection not seen"
	assert_eq "$(stat entries_live)" 4 "entries_live (four TOA connections open)"
fi
sysctl -qw net.ipv4.tcp_fastopen=1
