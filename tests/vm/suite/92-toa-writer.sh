# A TOA writer nobody here wrote: the guest kernel itself. A sock_ops eBPF
# program (toa-writer) on the cgroup of a client in its own network
# namespace makes the kernel's TCP stack write the option; curl fetches a
# page from nginx in a second namespace, and nginx's access log must show
# the address the program wrote. LVS mode (SYN and every segment until the
# server's first data), dpvs mode (from the ACK on) and "all" mode; IPv4
# (254/8), IPv6 253/20 and 254/20 (ipv6_kind254); a run with packet loss
# (tc netem) on the client's link, so the real stack's retransmissions
# carry the option. Without the module nginx logs the real client.
. "$VTOA_LIB"
command -v nginx >/dev/null || fail "nginx is not in the guest image"
command -v curl >/dev/null || fail "curl is not in the guest image"
command -v toa-writer >/dev/null || fail "toa-writer is not in the payload's bin/"
command -v tc >/dev/null || fail "tc (iproute2) is not in the guest image"

CLI=vtoa-cli SRV=vtoa-srv
CG=/sys/fs/cgroup/vtoa-writer
WRITER_PID=
mounted_cg=
cleanup() {
	[ -z "$WRITER_PID" ] || kill "$WRITER_PID" 2>/dev/null
	vtoa_cleanup
	ip netns del $CLI 2>/dev/null
	ip netns del $SRV 2>/dev/null
	rmdir "$CG" 2>/dev/null
	[ -z "$mounted_cg" ] || umount /sys/fs/cgroup
}
trap cleanup EXIT

# two namespaces joined by a veth pair: client 192.0.2.2 / 2001:db8::2,
# server 192.0.2.1 / 2001:db8::1
ip netns add $CLI && ip netns add $SRV || fail "ip netns add failed"
ip -n $CLI link add cli0 type veth peer name srv0 netns $SRV || fail "veth pair not created"
ip -n $CLI addr add 192.0.2.2/24 dev cli0 &&
	ip -n $CLI addr add 2001:db8::2/64 dev cli0 nodad &&
	ip -n $SRV addr add 192.0.2.1/24 dev srv0 &&
	ip -n $SRV addr add 2001:db8::1/64 dev srv0 nodad || fail "addresses not set"
for ns in $CLI $SRV; do ip -n $ns link set lo up || fail "lo up in $ns"; done
ip -n $CLI link set cli0 up && ip -n $SRV link set srv0 up || fail "veth not up"

if ! awk '$2 == "/sys/fs/cgroup" && $3 == "cgroup2" { f = 1 } END { exit !f }' /proc/mounts; then
	mount -t cgroup2 cgroup2 /sys/fs/cgroup || fail "cannot mount cgroup2 on /sys/fs/cgroup"
	mounted_cg=1
fi
mkdir -p "$CG" || fail "cannot create cgroup $CG"

NGINX_NETNS=$SRV nginx_start
trap cleanup EXIT

# writer_start MODE ADDR [KIND]: attach the program to $CG
writer_start() {
	toa-writer --cgroup "$CG" --mode "$1" --addr "$2" --port 4321 ${3:+--kind "$3"} >"$TMPDIR/writer" 2>&1 &
	WRITER_PID=$!
	_i=0
	until grep -q '^ready' "$TMPDIR/writer"; do
		kill -0 "$WRITER_PID" 2>/dev/null || { cat "$TMPDIR/writer" >&2; WRITER_PID=; fail "toa-writer $* exited"; }
		_i=$((_i + 1))
		[ $_i -lt 100 ] || fail "toa-writer $* not ready after 10s"
		sleep 0.1
	done
}

# writer_stop: detach; its counters are then read with wstat NAME
writer_stop() {
	kill -TERM "$WRITER_PID"
	wait "$WRITER_PID" || { cat "$TMPDIR/writer" >&2; fail "toa-writer did not stop cleanly"; }
	WRITER_PID=
	grep -q '^done$' "$TMPDIR/writer" || fail "toa-writer printed no counters: $(cat "$TMPDIR/writer")"
	log "writer: $(grep '^stat' "$TMPDIR/writer" | cut -d' ' -f2- | tr '\n' ' ')"
}
wstat() {
	awk -v n="$1" '$1 == "stat" && $2 == n { print $3 }' "$TMPDIR/writer"
}

# fetch URL: curl from the client's cgroup and namespace; prints the
# access-log line nginx wrote for it
fetch() {
	_n=$(cat "$NGINX_LOG" 2>/dev/null | wc -l)
	_body=$(sh -c "echo \$\$ >'$CG/cgroup.procs' && exec ip netns exec $CLI curl -g -sS --max-time 90 '$1'") ||
		fail "curl $1 failed"
	assert_eq "$_body" "hello from the origin" "body of $1"
	_i=0
	while [ "$(wc -l <"$NGINX_LOG")" -le "$_n" ]; do
		_i=$((_i + 1))
		[ $_i -lt 50 ] || fail "nginx logged nothing for $1"
		sleep 0.1
	done
	sed -n "$((_n + 1))p" "$NGINX_LOG" | cut -d' ' -f1
}
V4=http://192.0.2.1/ V6='http://[2001:db8::1]/'

# srvstat NAME: a vtoa counter as the server's namespace sees it
srvstat() {
	ip netns exec $SRV awk -v n="$1" '$1 == n { print $2 }' "$VTOA_STATS"
}

# --- without the module the kernel-written option changes nothing
vtoa_unload
writer_start lvs 198.51.100.7
assert_match "$(fetch $V4)" '^192\.0\.2\.2:[0-9]+$' "v4, module not loaded"
writer_stop
[ "$(wstat written_syn)" -ge 1 ] && [ "$(wstat written_psh)" -ge 1 ] ||
	fail "the writer wrote no option (SYN $(wstat written_syn), data $(wstat written_psh))"

vtoa_load

# --- LVS, IPv4 254/8: SYN, ACK, request; nothing once the reply arrived
writer_start lvs 198.51.100.7
assert_eq "$(fetch $V4)" "198.51.100.7:4321" "lvs v4"
writer_stop
[ "$(wstat written_syn)" -ge 1 ] || fail "lvs: no option on the SYN"
[ "$(wstat written_ack)" -ge 1 ] || fail "lvs: no option on the handshake ACK"
[ "$(wstat written_psh)" -ge 1 ] || fail "lvs: no option on the request"
[ "$(wstat stopped_server_data)" -ge 1 ] || fail "lvs: did not stop at the server's data"

# --- dpvs, IPv4: no SYN option
writer_start dpvs 198.51.100.8
assert_eq "$(fetch $V4)" "198.51.100.8:4321" "dpvs v4"
writer_stop
assert_eq "$(wstat written_syn)" 0 "dpvs: options on SYNs"
[ "$(wstat written_ack)" -ge 1 ] || fail "dpvs: no option on the handshake ACK"

# --- where the option was, seen by the server: toa-server's "syn=" is the
#     SYN's options as the kernel saved them (TCP_SAVE_SYN), "toa=" what
#     the module read (1349)
ip netns exec $SRV toa-server --v4 8004 --saved-syn --close-first >"$TMPDIR/ts" 2>&1 &
TS_PID=$!
i=0
until grep -qx ready "$TMPDIR/ts"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "toa-server not ready: $(cat "$TMPDIR/ts")"; sleep 0.1
done
for m in lvs dpvs; do
	writer_start $m 198.51.100.11
	line=$(sh -c "echo \$\$ >'$CG/cgroup.procs' && exec ip netns exec $CLI curl --http0.9 -sS --max-time 60 http://192.0.2.1:8004/") ||
		fail "curl to toa-server ($m) failed"
	writer_stop
	log "$m: $line"
	assert_match "$line" ' toa=4/198\.51\.100\.11:4321 ' "$m: the TOA the module read"
	case $m in
	lvs) assert_match "$line" ' syn=[0-9a-f]*fe0810e1c633640b' "lvs: the option on the SYN" ;;
	dpvs) assert_match "$line" ' syn=[0-9a-f]+$' "dpvs: a saved SYN"
		case $line in *" syn="*fe0810e1c633640b*) fail "dpvs: the option is on the SYN" ;; esac ;;
	esac
done
kill $TS_PID

# --- IPv6 253/20, both modes
writer_start lvs 2001:db8:c::7
assert_eq "$(fetch "$V6")" "2001:db8:c::7:4321" "lvs v6 253/20"
writer_stop
writer_start dpvs 2001:db8:c::8
assert_eq "$(fetch "$V6")" "2001:db8:c::8:4321" "dpvs v6 253/20"
writer_stop

# --- IPv6 in kind 254 (dpvs's layout): malformed unless ipv6_kind254=1
before=$(srvstat toa_kind254_len20)
writer_start dpvs 2001:db8:c::9 254
assert_match "$(fetch "$V6")" '^2001:db8::2:[0-9]+$' "dpvs v6 254/20, ipv6_kind254=0"
[ "$(srvstat toa_kind254_len20)" -gt "$before" ] || fail "toa_kind254_len20 did not count the 254/20 option"
param ipv6_kind254 1
assert_eq "$(fetch "$V6")" "2001:db8:c::9:4321" "dpvs v6 254/20, ipv6_kind254=1"
writer_stop
param ipv6_kind254 0

# --- "all" (public eBPF writers): SYN and every later segment
writer_start all 198.51.100.9
assert_eq "$(fetch $V4)" "198.51.100.9:4321" "all v4"
writer_stop
assert_eq "$(wstat stopped_server_data)" 0 "all: stopped writing"

# --- packet loss on the client's link: retransmitted SYNs, ACKs and
#     requests come from the real stack, with the option
ip netns exec $CLI tc qdisc add dev cli0 root netem loss 30% || fail "tc netem not available"
retrans() { ip netns exec $CLI awk '$1 == "Tcp:" && !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next } $1 == "Tcp:" { print $c["RetransSegs"] }' /proc/net/snmp; }
r0=$(retrans)
for spec in "lvs 198.51.100.10 $V4 198.51.100.10" "dpvs 2001:db8:c::10 $V6 2001:db8:c::10"; do
	set -- $spec
	writer_start "$1" "$2"
	i=0
	while [ $i -lt 6 ]; do
		assert_eq "$(fetch "$3")" "$4:4321" "$1 $2 with 30% loss, fetch $i"
		i=$((i + 1))
	done
	writer_stop
done
r1=$(retrans)
log "client retransmissions under loss: $((r1 - r0))"
[ $((r1 - r0)) -gt 0 ] || fail "30% loss caused no retransmission (netem not applied?)"

# --- the counters are the server namespace's: 18 connections with a TOA
#     taken (lvs + dpvs v4, two to toa-server, two v6 253/20, one v6 254/20
#     with ipv6_kind254, one "all", 12 under loss), none in the initial
#     namespace
assert_eq "$(srvstat syn_recv_sock_toa)" 20 "TOA connections counted in the server's namespace"
assert_eq "$(stat syn_recv_sock_toa)" 0 "TOA connections counted in the initial namespace"
