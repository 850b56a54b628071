# 9. A real server: nginx logs $remote_addr; through the peer its access
#    log shows the injected client, without the module the proxy. Also
#    with 'listen ... deferred' (TCP_DEFER_ACCEPT), the TOA on the
#    handshake ACK only, which the kernel holds back.
. "$VTOA_LIB"
peer_setup
command -v nginx >/dev/null || fail "nginx is not in the guest image"
nginx_start
REQ='GET / HTTP/1.0\r\nHost: origin.example\r\n\r\n'

toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:80 --sport 49001 --ack-opt "fe08 10e1 c6336407" --data "$REQ" >"$TMPDIR/r0" ||
	fail "request without module failed"
vtoa_load
toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:80 --sport 49002 --ack-opt "fe08 10e1 c6336407" --data "$REQ" >"$TMPDIR/r1" ||
	fail "request with module failed"
toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:80" --sport 49003 \
	--ack-opt "fd14 10e1 20010db8000c00000000000000000007" --data "$REQ" >"$TMPDIR/r2" ||
	fail "IPv6 request with module failed"
grep -q "hello from the origin" "$TMPDIR/r1" || fail "nginx reply missing: $(cat "$TMPDIR/r1")"
sleep 0.5
cat "$NGINX_LOG"
assert_match "$(sed -n 1p "$NGINX_LOG")" '^192\.0\.2\.2:49001 "GET / HTTP/1\.0" 200$' "access log without module"
assert_match "$(sed -n 2p "$NGINX_LOG")" '^198\.51\.100\.7:4321 "GET / HTTP/1\.0" 200$' "access log with module"
assert_match "$(sed -n 3p "$NGINX_LOG")" '^2001:db8:c::7:4321 "GET / HTTP/1\.0" 200$' "IPv6 access log with module"

# listen ... deferred: the kernel drops the bare ACK that carries the TOA
nginx_stop
sleep 0.5
: >"$NGINX_LOG"
NGINX_LISTEN=deferred nginx_start
grep -q "deferred" "$TMPDIR/nginx.conf" || fail "nginx.conf has no deferred listen"
toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:80 --sport 49004 --ack-opt "fe08 10e2 c6336408" --data "$REQ" >"$TMPDIR/r3" ||
	fail "request to a deferred listener failed"
grep -q "hello from the origin" "$TMPDIR/r3" || fail "nginx reply missing (deferred): $(cat "$TMPDIR/r3")"
sleep 0.5
if backend_lacks defer-ack-toa "under TCP_DEFER_ACCEPT a TOA only on the held-back ACK is lost: nginx logs the proxy (checked)"; then
	assert_match "$(sed -n 1p "$NGINX_LOG")" '^192\.0\.2\.2:49004 "GET / HTTP/1\.0" 200$' "access log of a deferred listener (TOA lost)"
	# the TOA on the request itself (the segment the connection is made from) is read
	toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:80 --sport 49005 --data-opt "fe08 10e3 c6336409" --data "$REQ" >"$TMPDIR/r4" ||
		fail "request with the TOA on the data segment failed"
	sleep 0.5
	assert_match "$(sed -n 2p "$NGINX_LOG")" '^198\.51\.100\.9:4323 "GET / HTTP/1\.0" 200$' "access log of a deferred listener, TOA on the request"
else
	assert_match "$(sed -n 1p "$NGINX_LOG")" '^198\.51\.100\.8:4322 "GET / HTTP/1\.0" 200$' "access log of a deferred listener"
	[ "$(stat toa_deferred)" -ge 1 ] || fail "toa_deferred is 0: the TOA did not come from the held-back ACK"
fi
