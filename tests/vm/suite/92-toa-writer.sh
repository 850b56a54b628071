# A TOA writer nobody here wrote: the guest kernel itself. A sock_ops eBPF
# program (toa-writer) on the cgroup of a client in its own network
# namespace makes the kernel's TCP stack write the option; curl fetches a
# page from nginx in a second namespace, and nginx's access log must show
# the address the program wrote. LVS mode (SYN and every segment until the
# server's first data), dpvs mode (from the ACK on) and "all" mode; IPv4
# (254/8), IPv6 253/20 and 254/20 (ipv6_kind254); a run with packet loss
# (tc netem) on the client's link, so the real stack's retransmissions
# carry the option. Without the module nginx logs the real client. Where
# the option sits on the wire (toa-server --saved-syn) is 93-toa-writer-wire's.
. "$VTOA_LIB"
command -v nginx >/dev/null || fail "nginx is not in the guest image"
command -v curl >/dev/null || fail "curl is not in the guest image"
command -v tc >/dev/null || fail "tc (iproute2) is not in the guest image"

writer_netns_setup
SRV=$WRITER_SRV
NGINX_NETNS=$SRV nginx_start

# fetch URL: curl from the client's cgroup and namespace; prints the
# access-log line nginx wrote for it
fetch() {
	_n=$(cat "$NGINX_LOG" 2>/dev/null | wc -l)
	_body=$(writer_client curl -g -sS --max-time 90 "$1") ||
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

# --- IPv6 253/20, both modes
writer_start lvs 2001:db8:c::7
assert_eq "$(fetch "$V6")" "2001:db8:c::7:4321" "lvs v6 253/20"
writer_stop
writer_start dpvs 2001:db8:c::8
assert_eq "$(fetch "$V6")" "2001:db8:c::8:4321" "dpvs v6 253/20"
writer_stop

# --- IPv6 in kind 254 (dpvs's layout): malformed unless ipv6_kind254=1
# the server namespace's counter (the eBPF backend's are global)
nsstat() { if [ "$VTOA_BACKEND" = ebpf ]; then stat "$1"; else stat "$1" "$SRV"; fi; }
before=$(nsstat toa_kind254_len20)
writer_start dpvs 2001:db8:c::9 254
assert_match "$(fetch "$V6")" '^2001:db8::2:[0-9]+$' "dpvs v6 254/20, ipv6_kind254=0"
[ "$(nsstat toa_kind254_len20)" -gt "$before" ] || fail "toa_kind254_len20 did not count the 254/20 option"
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
writer_loss 30
r0=$(writer_retrans)
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
r1=$(writer_retrans)
log "client retransmissions under loss: $((r1 - r0))"
[ $((r1 - r0)) -gt 0 ] || fail "30% loss caused no retransmission (netem not applied?)"

# --- the counters are the server namespace's: 18 connections with a TOA
#     taken (lvs + dpvs v4, two v6 253/20, one v6 254/20 with ipv6_kind254,
#     one "all", 12 under loss), none in the initial namespace
if backend_lacks netns-counters "the counters are global, not per network namespace: the 18 are counted there (checked)"; then
	assert_eq "$(stat syn_recv_sock_toa)" 18 "TOA connections counted (globally)"
else
	assert_eq "$(stat syn_recv_sock_toa $SRV)" 18 "TOA connections counted in the server's namespace"
	assert_eq "$(stat syn_recv_sock_toa)" 0 "TOA connections counted in the initial namespace"
fi
