# 3. No TOA: the ordinary peer address from all three; 1349 gives ENOENT.
. "$VTOA_LIB"
peer_setup
server_start --v4 8004 --dual 8006 --v6only 8066
vtoa_load
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 43001) || fail "v4 connection failed"
assert_match "$out" "^listener=v4 accept=4/192\.0\.2\.2:43001 peer=4/192\.0\.2\.2:43001 name=4/192\.0\.2\.1:8004 opt=4/192\.0\.2\.2:43001 toa=E/$E_NOENT$" "v4 no TOA"
out=$(toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:8066" --sport 43002) || fail "v6 connection failed"
assert_match "$out" "^listener=v6only accept=6/\[2001:db8::2\]:43002 peer=6/\[2001:db8::2\]:43002 name=6/\[2001:db8::1\]:8066 opt=6/\[2001:db8::2\]:43002 toa=E/$E_NOENT$" "v6 no TOA"
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8006 --sport 43003) || fail "dual connection failed"
assert_match "$out" "^listener=dual accept=6/\[::ffff:192\.0\.2\.2\]:43003 peer=6/\[::ffff:192\.0\.2\.2\]:43003 name=6/\[::ffff:192\.0\.2\.1\]:8006 opt=6/\[::ffff:192\.0\.2\.2\]:43003 toa=E/$E_NOENT$" "dual no TOA"
assert_eq "$(stat syn_recv_sock_toa)" 0 syn_recv_sock_toa
assert_eq "$(stat syn_recv_sock_no_toa)" 3 syn_recv_sock_no_toa
assert_eq "$(stat entries_live)" 0 entries_live
