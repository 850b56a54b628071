# A socket with a TOA that the kernel has closed underneath its owner
# (here: aborted through sock_diag, as `ss -K` does): getpeername and
# getsockopt say ENOTCONN like the kernel does, not the TOA.
. "$VTOA_LIB"
peer_setup
server_start --v4 8004 --hammer --quiet
vtoa_load
toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 46500 --ack-opt "fe08 10e1 c6336407" \
	--close keep >/dev/null || fail "connection failed"
ss -K dst 192.0.2.2 dport = 46500 >/dev/null 2>&1 || fail "ss -K failed"
ss -tn state established dst 192.0.2.2 | grep -q ':46500' && fail "socket not aborted"
kill -USR1 "$SERVER_PID"
i=0
while ! grep -q '^now end' "$SERVER_OUT" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep '^now' "$SERVER_OUT"
line=$(grep '^now fd=' "$SERVER_OUT") || fail "the server closed the aborted socket"
assert_match "$line" "peer=E/ENOTCONN opt=E/$E_NOTCONN toa=E/$E_NOTCONN opt16=E/$E_NOTCONN$" "aborted TOA socket"
