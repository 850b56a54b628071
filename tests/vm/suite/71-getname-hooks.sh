# getpeername()/accept() are answered through an ftrace redirect of
# inet_getname/inet6_getname where the kernel allows it (x86: every kernel
# of the matrix), else through kretprobes; getsockopt 1348/1349 through a
# redirect of nf_getsockopt, else the kernel's nf_sockopt lookup. Both give the same answers:
# the TOA (v4, v6, an IPv6 TOA on an AF_INET socket as sockaddr_in6),
# ENOTCONN after a reset, the real peer without a TOA, getsockname()
# unchanged; and both unload safely with getpeername() calls in flight.
# kprobes switched off in debugfs blind the fallback only.
. "$VTOA_LIB"
backend_skip "the module's kernel hooks (ftrace redirect, kretprobes) and their fallbacks; the eBPF backend has no hooks of its own"
[ -f "$VTOA/vtoa-fault.ko" ] || fail "$VTOA/vtoa-fault.ko missing (tests/vm/run and the matrix build it)"
peer_setup
V4="fe08 10e1 c6336407"				# 198.51.100.7:4321
V6="fd14 10e3 20010db8000c00000000000000000009"	# [2001:db8:c::9]:4323
loaded_line() { dmesg | grep 'vtoa: .* loaded' | tail -n1; }

answers() {	# $1: label, $2: first source port
	out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport "$2" --ack-opt "$V4") || fail "$1: v4 connection"
	assert_match "$out" "accept=4/198\.51\.100\.7:4321 peer=4/198\.51\.100\.7:4321 name=4/192\.0\.2\.1:8004 opt=4/198\.51\.100\.7:4321 " "$1: v4 TOA"
	out=$(toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:8066" --sport $(($2 + 1)) --ack-opt "$V6") || fail "$1: v6 connection"
	assert_match "$out" "accept=6/\[2001:db8:c::9\]:4323 peer=6/\[2001:db8:c::9\]:4323 name=6/\[2001:db8::1\]:8066 " "$1: v6 TOA"
	out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport $(($2 + 2)) --ack-opt "$V6") || fail "$1: v6 TOA on v4"
	assert_match "$out" "accept=6/\[2001:db8:c::9\]:4323 peer=6/\[2001:db8:c::9\]:4323 name=4/192\.0\.2\.1:8004 " "$1: IPv6 TOA on an AF_INET socket"
	out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport $(($2 + 3))) || fail "$1: plain connection"
	assert_match "$out" "accept=4/192\.0\.2\.2:$(($2 + 3)) peer=4/192\.0\.2\.2:$(($2 + 3)) name=4/192\.0\.2\.1:8004 " "$1: no TOA"
	# hammer: getpeername() on open sockets, reset by the client, under load
	server_stop
	server_start --v4 8004 --hammer
	toa-peer load --src 192.0.2.2 --dst 192.0.2.1:8004 --count 500 --toa v4 --close keep >/dev/null || fail "$1: load"
	toa-peer load --src 192.0.2.2 --dst 192.0.2.1:8004 --count 200 --toa v4 --close rst >/dev/null || fail "$1: load with resets"
	vtoa_unload		# while the hammer calls getpeername()
	kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; rc=$?
	grep '^hammer' "$SERVER_OUT" || true
	[ $rc -eq 0 ] || fail "$1: toa-server --hammer saw bad answers: $(grep -m3 bad "$SERVER_OUT")"
	SERVER_PID=
}

server_start --v4 8004 --v6only 8066
vtoa_load
line=$(loaded_line)
log "$line"
if [ "$(uname -m)" = x86_64 ]; then
	assert_match "$line" "getname by ftrace redirect, getsockopt by ftrace redirect" "hooks on x86_64"
fi
kprobes_off_answer() {	# $1: label, $2: source port, $3: ERE the line must match
	echo 0 >/sys/kernel/debug/kprobes/enabled || fail "cannot switch kprobes off"
	out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport "$2" --ack-opt "$V4")
	echo 1 >/sys/kernel/debug/kprobes/enabled || fail "cannot switch kprobes back on"
	assert_match "$out" "$3" "$1"
}
[ -f /sys/kernel/debug/kprobes/enabled ] || mount -t debugfs none /sys/kernel/debug || fail "cannot mount debugfs"
[ -f /sys/kernel/debug/kprobes/enabled ] || fail "no /sys/kernel/debug/kprobes/enabled"
if [ "$(uname -m)" = x86_64 ]; then
	kprobes_off_answer "redirect with kprobes off: the TOA" 43010 "peer=4/198\.51\.100\.7:4321 "
fi
answers "default hook" 43001

server_start --v4 8004 --v6only 8066
VTOA_KO=$VTOA/vtoa-fault.ko
vtoa_load fault_no_redirect=1
line=$(loaded_line)
log "$line"
assert_match "$line" "getname by kretprobe, getsockopt by nf_sockopt" "fallback hooks"
kprobes_off_answer "kretprobe with kprobes off: the proxy, never a wrong client" 43110 "peer=4/192\.0\.2\.2:43110 .*opt=4/198\.51\.100\.7:4321 "
answers "kretprobe fallback" 43101
