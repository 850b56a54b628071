# 4. Malformed options behave exactly as without the module (the proxy's
#    address everywhere, 1349 gives ENOENT), and the malformed counter
#    moves. Then random option bytes: never a TOA, never a crash.
. "$VTOA_LIB"
peer_setup
server_start --v4 8004
vtoa_load
port=44000
n=0
# each layout: the option bytes of the handshake ACK (peer pads with EOL)
for layout in \
	"fe07 1f90 c6336407"			`# v4 kind, length 7` \
	"fe0a 1f90 c6336407 0000"		`# v4 kind, length 10` \
	"fd08 1f90 c6336407"			`# v6 kind, length 8` \
	"fd12 1f90 20010db8000c0000000000000000 0000" `# v6 kind, length 18` \
	"fe14 1f90 20010db8000c00000000000000000007" `# 254/20 without ipv6_kind254` \
	"fe00 1f90 c6336407"			`# length 0` \
	"fe01 1f90 c6336407"			`# length 1` \
	"2200 fe08 1f90 c6336407 0000"		`# unknown kind, length 0, before TOA` \
	"22ff fe08 1f90 c6336407 0000"		`# unknown kind running past the end` \
	"0101 fe08 1f90 c633"			`# TOA running past the header` \
	"fd14 1f90 20010db8000c0000"		`# v6 TOA truncated` \
	"fe08 1f90 c6336407 0301"		`# valid TOA, then a broken option`
do
	port=$((port + 1))
	n=$((n + 1))
	before=$(stat toa_malformed)
	out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport $port --ack-opt "$layout") ||
		fail "layout '$layout': connection failed"
	assert_match "$out" "^listener=v4 accept=4/192\.0\.2\.2:$port peer=4/192\.0\.2\.2:$port name=4/192\.0\.2\.1:8004 opt=4/192\.0\.2\.2:$port toa=E/$E_NOENT$" "layout '$layout'"
	assert_eq "$(stat toa_malformed)" $((before + 1)) "toa_malformed after '$layout'"
done
log "$n malformed layouts ignored"

# random option lists, 40 bytes each. Bytes that are kinds 253/254 (TOA),
# 8 (timestamps: PAWS could reject the ACK), 19 (MD5) or 29 (TCP-AO: the
# kernel drops such segments) are replaced by 252.
i=0
while [ $i -lt 25 ]; do
	i=$((i + 1))
	port=$((port + 1))
	hex=$(od -An -tx1 -N40 /dev/urandom | tr -d ' \n' |
		sed -E 's/(..)/\1 /g; s/\<(fd|fe|13|1d|08)\>/fc/g' | tr -d ' ')
	out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport $port --ack-opt "$hex") ||
		fail "random layout $hex: connection failed"
	assert_match "$out" "peer=4/192\.0\.2\.2:$port name=4/192\.0\.2\.1:8004 opt=4/192\.0\.2\.2:$port toa=E/$E_NOENT$" "random layout $hex"
done
assert_eq "$(stat syn_recv_sock_toa)" 0 syn_recv_sock_toa
assert_eq "$(stat entries_live)" 0 entries_live
