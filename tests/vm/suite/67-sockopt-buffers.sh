# getsockopt 1348 into the product doc's 16-byte struct sockaddr: an IPv4
# TOA fits; an IPv6 TOA is truncated and len says 28, like getpeername().
# A listening socket gets ENOTCONN.
. "$VTOA_LIB"
peer_setup
server_start --v4 8004 --v6only 8066 --hammer --quiet
vtoa_load
toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 46600 --ack-opt "fe08 10e1 c6336407" \
	--close keep >/dev/null || fail "v4 connection failed"
toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:8066" --sport 46601 \
	--ack-opt "fd14 10e1 20010db8000c00000000000000000007" --close keep >/dev/null || fail "v6 connection failed"
toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 46602 --close keep >/dev/null ||
	fail "no-TOA connection failed"
kill -USR1 "$SERVER_PID"
i=0
while ! grep -q '^now end' "$SERVER_OUT" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep '^now' "$SERVER_OUT"
assert_match "$(grep '^now listener=v4 ' "$SERVER_OUT")" "opt=E/$E_NOTCONN$" "1348 on a listening socket"
assert_match "$(grep '^now listener=v6only ' "$SERVER_OUT")" "opt=E/$E_NOTCONN$" "1348 on a listening IPv6 socket"
assert_match "$(grep 'peer=4/198\.51\.100\.7:4321 ' "$SERVER_OUT")" \
	"opt16=16:020010e1c63364070000000000000000$" "IPv4 TOA in 16 bytes"
if backend_lacks sockopt-true-length "a cgroup getsockopt program cannot make optlen larger than the caller's buffer: a truncated answer's len is what was copied (16), not 28 (checked)"; then
	assert_match "$(grep 'peer=6/\[2001:db8:c::7\]:4321 ' "$SERVER_OUT")" \
		"opt16=16:0a0010e10000000020010db8000c0000$" "IPv6 TOA truncated to 16 bytes, len 16"
else
	assert_match "$(grep 'peer=6/\[2001:db8:c::7\]:4321 ' "$SERVER_OUT")" \
		"opt16=28:0a0010e10000000020010db8000c0000$" "IPv6 TOA truncated to 16 bytes, len 28"
fi
assert_match "$(grep 'peer=4/192\.0\.2\.2:46602 ' "$SERVER_OUT")" \
	"toa=E/$E_NOENT opt16=16:0200b60ac00002020000000000000000$" "no TOA: the peer in 16 bytes"
