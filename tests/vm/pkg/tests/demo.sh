# make demo: the operator's view of `apt install vtoa` on a host booted with
# systemd (from the flat repository pkg-test put on the disk: DKMS builds the
# module under TCG, so this takes a minute or two), then the configuration of
# a FULLNAT proxy's addresses. Not one of the package tests; tests/vm/pkg-test
# --demo runs it alone.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
step() { printf '\n== %s\n' "$*"; }

step "apt install vtoa (DKMS builds the module; the service starts)"
apt-get update -q >/dev/null 2>&1
t0=$(date +%s)
DEBIAN_FRONTEND=noninteractive apt-get install -y -q vtoa >apt.out 2>&1; rc=$?
grep -Ev '^(Reading|Building|Selecting|Preparing|\(Reading)' apt.out
[ $rc -eq 0 ] || fail "apt-get install vtoa failed (exit status $rc)"
echo "(took $(( $(date +%s) - t0 ))s)"
step "trusted_sources: the proxy's ranges, then systemctl reload vtoa"
printf '\ntrusted_sources = %s\n' "$TRUSTED_CONF" >>"$CONF"
systemctl reload vtoa.service || fail "systemctl reload vtoa failed"
step "dpkg -l vtoa vtoa-dkms"
dpkg-query -W -f '${Package} ${Version} ${Status}\n' vtoa vtoa-dkms
step "systemctl status vtoa"
systemctl status --no-pager --lines=5 vtoa.service
step "/etc/vtoa/vtoa.conf (the settings in effect)"
grep -v '^#' "$CONF" | grep -v '^$'
step "vtoa doctor"
vtoa doctor || fail "vtoa doctor found a problem"
step "vtoa selftest"
vtoa selftest || fail "vtoa selftest failed"

step "nginx behind a FULLNAT proxy"
peer_setup
nginx_start
REQ='GET / HTTP/1.0\r\nHost: origin.example\r\n\r\n'
echo "proxy 192.0.2.2:50080 -> nginx 192.0.2.1:80; the proxy's TOA says: client 198.51.100.7:4321"
toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:80 --sport 50080 --ack-opt "fe08 10e1 c6336407" \
	--data "$REQ" >/dev/null || fail "request through the proxy failed"
echo "proxy [2001:db8::2]:50081 -> nginx [2001:db8::1]:80; TOA: client [2001:db8:c::7]:4321"
toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:80" --sport 50081 \
	--ack-opt "fd14 10e1 20010db8000c00000000000000000007" --data "$REQ" >/dev/null ||
	fail "IPv6 request through the proxy failed"
sleep 0.3
echo "nginx's access log (\$remote_addr:\$remote_port):"
sed 's/^/    /' "$NGINX_LOG"
nginx_stop
step "vtoa stats"
vtoa stats

v4=$(sed -n 1p "$NGINX_LOG")
v6=$(sed -n 2p "$NGINX_LOG")
case "$v4/$v6" in
"198.51.100.7:4321 "*"/2001:db8:c::7:4321 "*)
	printf '\nVERDICT: OK - installed with apt, started by systemd: behind the proxy 192.0.2.2 / 2001:db8::2, nginx logged the real clients 198.51.100.7:4321 and [2001:db8:c::7]:4321\n'
	;;
*)
	printf '\nVERDICT: FAILED - nginx logged %s / %s\n' "$v4" "$v6"
	exit 1
	;;
esac
