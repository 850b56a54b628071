# SYN cookies: with net.ipv4.tcp_syncookies=2 every handshake completes
# through the cookie path; the TOA on the ACK is still read.
. "$VTOA_LIB"
peer_setup
sysctl -qw net.ipv4.tcp_syncookies=2 || fail "cannot force SYN cookies"
server_start --v4 8004 --v6only 8066
vtoa_load
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 48001 --ack-opt "fe08 10e1 c6336407") ||
	fail "v4 cookie connection failed"
assert_match "$out" "peer=4/198\.51\.100\.7:4321 .*opt=4/198\.51\.100\.7:4321 " "v4 TOA with SYN cookies"
out=$(toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:8066" --sport 48002 \
	--ack-opt "fd14 10e1 20010db8000c00000000000000000007") || fail "v6 cookie connection failed"
assert_match "$out" "peer=6/\[2001:db8:c::7\]:4321 " "v6 TOA with SYN cookies"
sent=$(awk '/^TcpExt:/ { if (!seen) { seen = 1; for (i = 2; i <= NF; i++) if ($i == "SyncookiesRecv") col = i; next } print $col }' /proc/net/netstat)
[ "${sent:-0}" -ge 1 ] || fail "the kernel did not use SYN cookies (SyncookiesRecv=$sent)"
sysctl -qw net.ipv4.tcp_syncookies=1
