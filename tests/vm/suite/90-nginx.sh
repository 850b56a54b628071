# 9. A real server: nginx logs $remote_addr; through the peer its access
#    log shows the injected client, without the module the proxy.
. "$VTOA_LIB"
peer_setup
command -v nginx >/dev/null || fail "nginx is not in the guest image"
mkdir -p "$TMPDIR/www" "$TMPDIR/logs"
echo "hello from nginx" >"$TMPDIR/www/index.html"
cat >"$TMPDIR/nginx.conf" <<CONF
daemon on;
user root;
worker_processes 1;
pid $TMPDIR/nginx.pid;
error_log $TMPDIR/logs/error.log;
events { worker_connections 64; }
http {
	log_format real '\$remote_addr:\$remote_port "\$request" \$status';
	access_log $TMPDIR/logs/access.log real;
	server {
		listen 192.0.2.1:80;
		listen [2001:db8::1]:80;
		root $TMPDIR/www;
	}
}
CONF
nginx -c "$TMPDIR/nginx.conf" -e "$TMPDIR/logs/error.log" || fail "nginx did not start"
trap 'kill $(cat "$TMPDIR/nginx.pid" 2>/dev/null) 2>/dev/null' EXIT
REQ='GET / HTTP/1.0\r\nHost: origin.example\r\n\r\n'

toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:80 --sport 49001 --ack-opt "fe08 10e1 c6336407" --data "$REQ" >"$TMPDIR/r0" ||
	fail "request without module failed"
vtoa_load
toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:80 --sport 49002 --ack-opt "fe08 10e1 c6336407" --data "$REQ" >"$TMPDIR/r1" ||
	fail "request with module failed"
toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:80" --sport 49003 \
	--ack-opt "fd14 10e1 20010db8000c00000000000000000007" --data "$REQ" >"$TMPDIR/r2" ||
	fail "IPv6 request with module failed"
grep -q "hello from nginx" "$TMPDIR/r1" || fail "nginx reply missing: $(cat "$TMPDIR/r1")"
sleep 0.5
cat "$TMPDIR/logs/access.log"
assert_match "$(sed -n 1p "$TMPDIR/logs/access.log")" '^192\.0\.2\.2:49001 "GET / HTTP/1\.0" 200$' "access log without module"
assert_match "$(sed -n 2p "$TMPDIR/logs/access.log")" '^198\.51\.100\.7:4321 "GET / HTTP/1\.0" 200$' "access log with module"
assert_match "$(sed -n 3p "$TMPDIR/logs/access.log")" '^2001:db8:c::7:4321 "GET / HTTP/1\.0" 200$' "IPv6 access log with module"
