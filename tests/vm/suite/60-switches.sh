# 6. getpeername=0 at run time: getpeername and accept show the proxy,
#    getsockopt still the client. getsockopt=0: 1348 as without vtoa.
. "$VTOA_LIB"
peer_setup
server_start --v4 8004
TOA="fe08 10e1 c6336407"
vtoa_load
param getpeername 0
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 46001 --ack-opt "$TOA") || fail "conn 1"
assert_match "$out" "accept=4/192\.0\.2\.2:46001 peer=4/192\.0\.2\.2:46001 name=4/192\.0\.2\.1:8004 opt=4/198\.51\.100\.7:4321 toa=4/198\.51\.100\.7:4321$" "getpeername=0"
assert_eq "$(stat getname_toa_bypass)" 2 getname_toa_bypass
param getpeername 1
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 46002 --ack-opt "$TOA") || fail "conn 2"
assert_match "$out" "accept=4/198\.51\.100\.7:4321 peer=4/198\.51\.100\.7:4321 " "getpeername=1 again"
param getsockopt 0
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 46003 --ack-opt "$TOA") || fail "conn 3"
assert_match "$out" "peer=4/198\.51\.100\.7:4321 .*opt=E/ENOPROTOOPT toa=E/ENOPROTOOPT$" "getsockopt=0"
param getsockopt 1

if backend_lacks sysfs-params "the switches are the loader's, not module parameters: a bad value is refused by vtoa-bpf set (checked); no max_entries"; then
	for p in getpeername getsockopt ipv6_kind254; do
		err=$(param_try $p maybe 2>&1) && fail "$p accepted 'maybe'"
		assert_match "$err" "wants 0 or 1, got 'maybe'" "vtoa-bpf set $p maybe"
	done
else
	for p in getpeername getsockopt ipv6_kind254; do
		if printf 'maybe\n' >/sys/module/vtoa/parameters/$p 2>/dev/null; then
			fail "$p accepted 'maybe'"
		fi
	done
	dmesg | grep -q "vtoa: getpeername: 'maybe' is not a boolean" || fail "no log line for bad getpeername"
	for v in 0 -1 abc 99999999999; do
		if printf '%s\n' "$v" >/sys/module/vtoa/parameters/max_entries 2>/dev/null; then
			fail "max_entries accepted '$v'"
		fi
	done
fi

# the cap: with max_entries=2, the third TOA connection is ignored
backend_lacks max-entries "sk storage lives with its socket and has no cap: no max_entries, no toa_over_cap" && exit 0
server_stop
server_start --v4 8004 --hammer
param max_entries 2
for s in 46010 46011 46012; do
	toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport $s --ack-opt "$TOA" --close keep >/dev/null ||
		fail "cap conn $s"
done
assert_eq "$(stat entries_live)" 2 "entries_live at the cap"
assert_eq "$(stat toa_over_cap)" 1 toa_over_cap
grep -q "peer=4/192\.0\.2\.2:46012 " "$SERVER_OUT" || fail "connection over the cap should show the proxy"
