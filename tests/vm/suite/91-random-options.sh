# Adversarial load through the real kernel: 11,000 connections whose SYN,
# handshake ACK and first data segment carry random option lists (valid,
# malformed, forged and several TOAs, TFO on the SYN, NOP, EOL,
# SACK-permitted, unknown kinds, lengths 0/1, overruns; toa-peer --toa
# random). toa-peer predicts every answer with the module's own parser
# (kmod/parse.c, linked in): the SYN's TOA, else the ACK's, else, under
# TCP_DEFER_ACCEPT only, the data segment's. Then the module's counters
# against toa-peer's tally of where each TOA came from.
. "$VTOA_LIB"
peer_setup
# a SYN answered with a cookie keeps no TOA (85 and 88 force cookies)
sysctl -qw net.ipv4.tcp_syncookies=1 || fail "cannot set net.ipv4.tcp_syncookies=1"
vtoa_load

# logs OUTPUT: each line through log
logs() {
	printf '%s\n' "$1" | while IFS= read -r _l; do log "$_l"; done
}

# field LINE NAME: the number after " NAME=" on the 'random ...' line
field() {
	printf '%s\n' "$1" | sed -n "s/^random .* $2=\([0-9][0-9]*\).*/\1/p"
}

# random_load COUNT SEED [--defer]: toa-peer load; its output in $out and
# the expected sources in $syn $ack $data $none
random_load() {
	out=$(toa-peer load --src 192.0.2.2 --dst 192.0.2.1:8004 --count "$1" --parallel 64 \
		--toa random --seed "$2" $3) || fail "random load ($1, seed $2 $3): $out"
	logs "$out"
	assert_match "$out" "count=$1 ok=$1 bad=0 failed=0" "random load, seed $2 $3"
	assert_match "$out" "^random seed=$2 toa_syn=[0-9]+ toa_ack=[0-9]+ toa_data=[0-9]+ none=[0-9]+$" "random tally, seed $2"
	syn=$(field "$out" toa_syn) ack=$(field "$out" toa_ack)
	data=$(field "$out" toa_data) none=$(field "$out" none)
	[ $((syn + ack + data + none)) = "$1" ] || fail "tally $syn+$ack+$data+$none is not $1"
	[ "$syn" -gt 0 ] && [ "$ack" -gt 0 ] && [ "$none" -gt 0 ] ||
		fail "seed $2 left a source unused: $out"
}

# 1. plain listener: the data segment's TOA is never read
server_start --v4 8004 --quiet
random_load 6000 91001
assert_eq "$data" 0 "toa_data without TCP_DEFER_ACCEPT"
syn1=$syn with1=$((syn + ack)) none1=$none
assert_eq "$(stat toa_syn)" "$syn1" "toa_syn (TOAs kept from SYNs)"
backend_lacks request-counters "no request-socket state: toa_deferred, toa_req_dropped, toa_syn_cookie, reqs_live do not exist" ||
	assert_eq "$(stat toa_deferred)" 0 "toa_deferred without TCP_DEFER_ACCEPT"
server_stop

# 2. TCP_DEFER_ACCEPT (the bare ACK is held back, the data segment creates
#    the connection), and kind 254 length 20 taken as IPv6
if backend_lacks defer-ack-toa "under TCP_DEFER_ACCEPT a TOA on the held-back ACK alone is lost (88-defer-syn checks it); toa-peer's --defer prediction is the module's: part 2 is not run"; then :; else
server_start --v4 8004 --quiet --defer 5
param ipv6_kind254 1
random_load 5000 91002 --defer
[ "$data" -gt 0 ] || fail "no connection expected its TOA from the data segment: $out"
assert_eq "$(stat toa_syn)" $((syn1 + syn)) "toa_syn (both runs)"
assert_eq "$(stat toa_deferred)" "$ack" "toa_deferred (TOAs kept from held-back ACKs)"
assert_eq "$(stat syn_recv_sock_toa)" $((with1 + syn + ack + data)) "syn_recv_sock_toa (connections given a TOA)"
assert_eq "$(stat syn_recv_sock_no_toa)" $((none1 + none)) "syn_recv_sock_no_toa"
assert_eq "$(stat toa_req_dropped)" 0 "toa_req_dropped (every kept TOA reached its connection)"
assert_eq "$(stat toa_syn_cookie)" 0 toa_syn_cookie
assert_eq "$(stat reqs_live)" 0 reqs_live
server_stop
param ipv6_kind254 0
fi

# 3. the check bites: predicting with --defer against a plain listener,
#    exactly the connections expected to take the data segment's TOA are bad
server_start --v4 8004 --quiet
out=$(toa-peer load --src 192.0.2.2 --dst 192.0.2.1:8004 --count 300 --parallel 64 \
	--toa random --seed 91003 --defer --report 0) && fail "a wrong prediction passed: $out"
logs "$out"
data=$(field "$out" toa_data)
[ "${data:-0}" -gt 0 ] || fail "seed 91003 expects no TOA from a data segment: $out"
assert_match "$out" "count=300 ok=$((300 - data)) bad=$data failed=0" "wrong prediction (--defer on a plain listener)"
server_stop
i=0
while [ "$(stat entries_live)" != 0 ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
assert_eq "$(stat entries_live)" 0 "entries_live after all closed"
backend_lacks request-counters "no reqs_live" || assert_eq "$(stat reqs_live)" 0 "reqs_live at the end"
