# The kernel as TOA writer (toa-writer, a sock_ops eBPF program), against
# toa-server instead of nginx, so it also runs on every kernel of the
# matrix (5.10, 6.1, 6.12): where the option went (toa-server --saved-syn
# prints the SYN's options as the kernel saved them) and what the module
# read (getsockopt 1349: "toa="). LVS, dpvs and "all" placement; 254/8,
# 253/20, 254/20 (ipv6_kind254 off and on); 30% loss on the client's link.
# 92-toa-writer does this with curl and nginx.
. "$VTOA_LIB"
command -v toa-writer >/dev/null || fail "toa-writer is not in the payload's bin/"
command -v toa-server >/dev/null || fail "toa-server is not in the payload's bin/"
command -v curl >/dev/null || fail "curl is not in the guest"
command -v tc >/dev/null || fail "tc (iproute2) is not in the guest"

writer_netns_setup
SERVER_NETNS=$WRITER_SRV server_start --v4 8004 --dual 8006 --saved-syn --close-first
V4=http://192.0.2.1:8004/ V6='http://[2001:db8::1]:8006/'
TOA4=fe0810e1c6336407
TOA6=1410e120010db8000c00000000000000000007	# after the kind: fd or fe

# try MODE ADDR KIND URL: one connection under the writer; toa-server's
# line in $LINE, the SYN's options in $SYN
try() {
	writer_start "$1" "$2" $3
	LINE=$(writer_client curl --http0.9 -g -sS --max-time 90 "$4") || fail "curl $4 ($1 $2) failed"
	writer_stop
	log "$1 $2 ${3:-}: $LINE"
	SYN=${LINE##* syn=}
	assert_match "$SYN" '^[0-9a-f]+$' "$1 $2: the saved SYN's options"
}
syn_has() { case $SYN in *"$1"*) return 0 ;; esac; fail "$2: $1 not in the SYN's options $SYN"; }
syn_lacks() { case $SYN in *"$1"*) fail "$2: $1 in the SYN's options $SYN" ;; esac; }

# --- no module: the option is on the wire, nobody reads it
vtoa_unload
try lvs 198.51.100.7 "" $V4
syn_has $TOA4 "lvs, no module"
assert_match "$LINE" ' toa=E/ENOPROTOOPT ' "no module: 1349"

vtoa_load
try lvs 198.51.100.7 "" $V4
syn_has $TOA4 "lvs v4"
assert_match "$LINE" ' peer=4/198\.51\.100\.7:4321 .* toa=4/198\.51\.100\.7:4321 ' "lvs v4"
[ "$(wstat written_ack)" -ge 1 ] && [ "$(wstat stopped_server_data)" -ge 1 ] ||
	fail "lvs v4: no option on the ACK, or no stop at the server's data"

try dpvs 198.51.100.7 "" $V4
syn_lacks fe08 "dpvs v4"
assert_eq "$(wstat written_syn)" 0 "dpvs v4: options written on SYNs"
assert_match "$LINE" ' toa=4/198\.51\.100\.7:4321 ' "dpvs v4"

try all 198.51.100.7 "" $V4
syn_has $TOA4 "all v4"
assert_eq "$(wstat stopped_server_data)" 0 "all v4: stopped"
assert_match "$LINE" ' toa=4/198\.51\.100\.7:4321 ' "all v4"

try lvs 2001:db8:c::7 "" "$V6"
syn_has fd$TOA6 "lvs v6 253/20"
assert_match "$LINE" ' peer=6/\[2001:db8:c::7\]:4321 .* toa=6/\[2001:db8:c::7\]:4321 ' "lvs v6 253/20"

try dpvs 2001:db8:c::7 254 "$V6"
syn_lacks fe14 "dpvs v6 254/20"
assert_match "$LINE" " toa=E/$E_NOENT " "dpvs v6 254/20 with ipv6_kind254=0"
param ipv6_kind254 1
try dpvs 2001:db8:c::7 254 "$V6"
assert_match "$LINE" ' toa=6/\[2001:db8:c::7\]:4321 ' "dpvs v6 254/20 with ipv6_kind254=1"
param ipv6_kind254 0

# --- 30% loss on the client's link: retransmitted SYNs, ACKs, requests
writer_loss 30
r0=$(writer_retrans)
i=0
while [ $i -lt 5 ]; do
	try lvs 198.51.100.7 "" $V4
	assert_match "$LINE" ' toa=4/198\.51\.100\.7:4321 ' "lvs v4 with loss, $i"
	try dpvs 2001:db8:c::7 "" "$V6"
	assert_match "$LINE" ' toa=6/\[2001:db8:c::7\]:4321 ' "dpvs v6 with loss, $i"
	i=$((i + 1))
done
r1=$(writer_retrans)
log "client retransmissions under loss: $((r1 - r0))"
[ $((r1 - r0)) -gt 0 ] || fail "30% loss caused no retransmission (netem not applied?)"
