#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of toa-peer, toa-server and toa-writer on this host, without
# the vtoa module: everything runs in private network namespaces, all
# traffic stays on their TUN or veth devices (192.0.2.0/24, 2001:db8::/32).
#
# Usage: host-test.sh [--bin DIR] [--keep-going]     (as root)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$HERE/../bin
while [ $# -gt 0 ]; do
	case $1 in
	--bin) BIN=$2; shift 2 ;;
	-h|--help) sed -n '3,8p' "$0"; exit 0 ;;
	*) echo "host-test: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

[ "$(id -u)" = 0 ] || { echo "host-test: must run as root" >&2; exit 2; }
if [ ! -x "$BIN/toa-peer" ] || [ ! -x "$BIN/toa-server" ] || [ ! -x "$BIN/toa-writer" ] ||
   [ "$HERE/toa-writer.c" -nt "$BIN/toa-writer" ] ||
   [ "$HERE/toa-writer.bpf.c" -nt "$BIN/toa-writer" ] ||
   [ "$HERE/toa-peer.c" -nt "$BIN/toa-peer" ] ||
   [ "$HERE/toa-server.c" -nt "$BIN/toa-server" ] ||
   [ "$HERE/common.h" -nt "$BIN/toa-peer" ] ||
   [ "$HERE/../../../kmod/parse.c" -nt "$BIN/toa-peer" ]; then
	make -s -C "$HERE" BINDIR="$(cd "$BIN" 2>/dev/null && pwd || echo "$BIN")" ||
		{ echo "host-test: build failed" >&2; exit 2; }
fi
BIN=$(cd "$BIN" && pwd)
PEER=$BIN/toa-peer
SRV=$BIN/toa-server

NS=vtoa-hosttest-$$
TMP=$(mktemp -d /tmp/vtoa-hosttest.XXXXXX)
PIDS=()
PASS=0
FAIL=0

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	ip netns del "$NS-wc" 2>/dev/null
	ip netns del "$NS-ws" 2>/dev/null
	[ -z "${WCG:-}" ] || rmdir "$WCG" 2>/dev/null
	[ -z "${WCG:-}" ] || umount "$TMP/cg" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nsx() { ip netns exec "$NS" "$@"; }
# Every command is bounded.
peer() { timeout 60 ip netns exec "$NS" "$PEER" "$@"; }

pass() { PASS=$((PASS + 1)); echo "PASS: $1"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL: $1"; }

# check NAME COND-COMMAND... ; prints details from $TMP/last on failure
check() {
	local name=$1; shift
	if "$@"; then
		pass "$name"
	else
		fail "$name"
		[ -s "$TMP/last" ] && sed 's/^/    | /' "$TMP/last" | head -20
	fi
}

# run_peer OUTFILE ARGS...: run toa-peer, stdout+stderr kept apart, rc in $RC
run_peer() {
	local out=$1; shift
	peer "$@" >"$out" 2>"$out.err"
	RC=$?
	{ echo "\$ toa-peer $*"; echo "rc=$RC"; cat "$out"; cat "$out.err"; } >"$TMP/last"
}

# start_server NAME ARGS...: background toa-server, waits for "ready"
start_server() {
	local name=$1; shift
	ip netns exec "$NS" "$SRV" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	local pid=$!
	PIDS+=("$pid")
	eval "${name}_PID=$pid"
	local i
	for i in $(seq 100); do
		grep -qx ready "$TMP/$name.out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "host-test: toa-server $* did not get ready:" >&2
	cat "$TMP/$name.err" >&2
	exit 1
}

# stop_server NAME: SIGTERM, bounded wait, exit status in $SRC
stop_server() {
	local name=$1 pid
	eval "pid=\$${name}_PID"
	kill -TERM "$pid" 2>/dev/null
	local i
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		SRC=timeout
	else
		wait "$pid"
		SRC=$?
	fi
}

line_is() { # FILE REGEX: exactly one line, matching
	[ "$(wc -l <"$1")" = 1 ] && grep -Eqx "$2" "$1"
}

load_ok() { # FILE COUNT
	grep -Eq "^load count=$2 ok=$2 bad=0 failed=0 seconds=[0-9.]+ rate=[0-9]+/s$" "$1" && [ "$RC" = 0 ]
}

established() { # PORT: number of ESTABLISHED sockets on local port PORT
	nsx ss -tnH state established "( sport = :$1 )" | wc -l
}

# ---------------------------------------------------------------------
ip netns add "$NS" || { echo "host-test: cannot create netns $NS" >&2; exit 2; }
nsx ip link set lo up

peer setup >"$TMP/last" 2>&1 && peer setup >>"$TMP/last" 2>&1
check "setup (twice, idempotent)" [ $? = 0 ]
nsx ip addr show dev vtoa0 >"$TMP/last" 2>&1
check "setup: 192.0.2.1/24 and 2001:db8::1/64 on vtoa0" \
	eval 'grep -q "inet 192.0.2.1/24" "$TMP/last" && grep -q "inet6 2001:db8::1/64" "$TMP/last"'

start_server main --log "$TMP/main.log"

# --- single connections -----------------------------------------------
run_peer "$TMP/c1" conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 40001
check "v4 conn to v4 listener: peer=4/192.0.2.2:40001, opt=E/ENOPROTOOPT" \
	eval '[ $RC = 0 ] && line_is "$TMP/c1" "listener=v4 accept=4/192\.0\.2\.2:40001 peer=4/192\.0\.2\.2:40001 name=4/192\.0\.2\.1:8004 opt=E/ENOPROTOOPT toa=E/ENOPROTOOPT"'

check "report line also on stdout and in --log" \
	eval 'grep -q "peer=4/192.0.2.2:40001 " "$TMP/main.out" && grep -q "peer=4/192.0.2.2:40001 " "$TMP/main.log"'

run_peer "$TMP/c2" conn --src 2001:db8::2 --dst '[2001:db8::1]:8066' --sport 40002
check "v6 conn to v6only listener" \
	eval '[ $RC = 0 ] && line_is "$TMP/c2" "listener=v6only accept=6/\[2001:db8::2\]:40002 peer=6/\[2001:db8::2\]:40002 name=6/\[2001:db8::1\]:8066 opt=E/ENOPROTOOPT toa=E/ENOPROTOOPT"'

run_peer "$TMP/c3" conn --src 192.0.2.2 --dst 192.0.2.1:8006 --sport 40003
check "v4 conn to dual listener shows v4-mapped" \
	eval '[ $RC = 0 ] && line_is "$TMP/c3" "listener=dual accept=6/\[::ffff:192\.0\.2\.2\]:40003 peer=6/\[::ffff:192\.0\.2\.2\]:40003 name=6/\[::ffff:192\.0\.2\.1\]:8006 opt=E/ENOPROTOOPT toa=E/ENOPROTOOPT"'

run_peer "$TMP/c4" conn --src 2001:db8::3 --dst '[2001:db8::1]:8006' --sport 40004
check "v6 conn to dual listener" \
	eval '[ $RC = 0 ] && line_is "$TMP/c4" "listener=dual accept=6/\[2001:db8::3\]:40004 peer=6/\[2001:db8::3\]:40004 .*"'

run_peer "$TMP/c5" conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 40005 \
	--syn-opt '020405b4 0402 080a 00000001 00000000 01 030307' \
	--ack-opt 'fe08 1f90 c6336407' --data-opt 'fd14:1f90:20010db8:000c0000:00000000:00000001' --trace
check "TOA on ACK + timestamps/SACK/wscale on SYN: completes" \
	eval '[ $RC = 0 ] && line_is "$TMP/c5" "listener=v4 accept=4/192\.0\.2\.2:40005 .*"'
check "timestamps negotiated and TS + TOA sent on the handshake ACK" \
	grep -Eq '> 40005 A seq=1 ack=1 .* opt=0101080a[0-9a-f]{16}fe081f90c6336407$' "$TMP/c5.err"

run_peer "$TMP/c6" conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 40006 \
	--ack-opt 'fe:08:1f:90:c6:33:64:07:01' --trace
check "odd-length options padded with EOL to a multiple of 4" \
	eval '[ $RC = 0 ] && grep -Eq "> 40006 A seq=1 ack=1 .* opt=fe081f90c633640701000000$" "$TMP/c6.err"'

run_peer "$TMP/c7" conn --src 192.0.2.2 --dst 192.0.2.1:8004 \
	--ack-opt "$(printf '01%.0s' $(seq 41))"
check "more than 40 option bytes is a usage error (exit 2)" \
	eval '[ $RC = 2 ] && grep -q "max 40" "$TMP/c7.err"'

run_peer "$TMP/c8" conn --src 192.0.2.2 --dst 192.0.2.1:8066 --timeout 3
check "v4 conn to the v6only port: refused, exit 1" \
	eval '[ $RC = 1 ] && grep -q "connection refused" "$TMP/c8.err" && [ ! -s "$TMP/c8" ]'

t0=$(date +%s)
run_peer "$TMP/c9" conn --src 192.0.2.2 --dst 192.0.2.200:80 --timeout 2
t1=$(date +%s)
check "no SYN-ACK: exit 1 after --timeout 2" \
	eval '[ $RC = 1 ] && grep -q "no SYN-ACK" "$TMP/c9.err" && [ $((t1 - t0)) -le 4 ]'

run_peer "$TMP/c10" conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 40010 --close rst --trace
check "--close rst: reply, then RST" \
	eval '[ $RC = 0 ] && line_is "$TMP/c10" "listener=v4 .*" && grep -q "> 40010 RA " "$TMP/c10.err"'

run_peer "$TMP/c11" conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 40011 --close keep
check "--close keep: reply, socket stays ESTABLISHED" \
	eval '[ $RC = 0 ] && line_is "$TMP/c11" "listener=v4 .*" && nsx ss -tnH state established "( dport = :40011 )" | grep -q .'

run_peer "$TMP/c12" conn --src 192.0.2.2 --dst 192.0.2.1:8004 --sport 40012 \
	--data 'one\r\ntwo\x21\r\n' --data-opt '' --syn-opt ''
check "--data escapes, no SYN options" \
	eval '[ $RC = 0 ] && line_is "$TMP/c12" "listener=v4 .*"'

# --- server closes first (like nginx) ---------------------------------
start_server first --close-first --v4 8080 --dual 8081
run_peer "$TMP/f1" conn --src 192.0.2.2 --dst 192.0.2.1:8080 --sport 40101 --until close --trace
check "server closes first (FIN): reply complete, we ACK its FIN, then FIN" \
	eval '[ $RC = 0 ] && line_is "$TMP/f1" "listener=v4 .*" && grep -q "< 40101 .*F" "$TMP/f1.err" && grep -q "> 40101 FA" "$TMP/f1.err"'
check "server closed first: its socket is in TIME-WAIT" \
	eval 'nsx ss -tnH state time-wait "( dport = :40101 )" | grep -q .'
run_peer "$TMP/f2" conn --src 2001:db8::2 --dst '[2001:db8::1]:8081' --sport 40102 --until close
check "server closes first, IPv6" \
	eval '[ $RC = 0 ] && line_is "$TMP/f2" "listener=dual accept=6/\[2001:db8::2\]:40102 .*"'
run_peer "$TMP/f3" load --src 192.0.2.6 --dst 192.0.2.1:8081 --count 1000 --sport 41000
check "load against the close-first server" load_ok "$TMP/f3" 1000
run_peer "$TMP/f4" load --src 192.0.2.6 --dst 192.0.2.1:8081 --count 1000 --sport 41000
check "load again on the same ports (server TIME-WAIT reuse)" load_ok "$TMP/f4" 1000
stop_server first
check "close-first server exits 0 on SIGTERM" [ "$SRC" = 0 ]

# --- load ---------------------------------------------------------------
run_peer "$TMP/l1" load --count 2000 --parallel 64 --toa none --src 192.0.2.3 --dst 192.0.2.1:8004
check "load --count 2000 --parallel 64 --toa none: ok=2000" load_ok "$TMP/l1" 2000

run_peer "$TMP/l2" load --count 2000 --toa v4 --src 192.0.2.3 --dst 192.0.2.1:8006
check "load --toa v4 to dual listener: ok=2000" load_ok "$TMP/l2" 2000

run_peer "$TMP/l3" load --count 2000 --toa v6 --src 2001:db8::4 --dst '[2001:db8::1]:8066' --close rst
check "load --toa v6 over IPv6, --close rst: ok=2000" load_ok "$TMP/l3" 2000

run_peer "$TMP/l4" load --count 200 --toa v4 --expect toa --src 192.0.2.3 --dst 192.0.2.1:8004 --report 1
check "load --expect toa without the module: all bad (verification works)" \
	eval '[ $RC = 1 ] && grep -q "ok=0 bad=200 failed=0" "$TMP/l4" && grep -Eq "bad: opt=E/ENOPROTOOPT, expected 4/198\.51\.100\.[0-9]+:[0-9]+" "$TMP/l4.err"'

before=$(established 8004)
run_peer "$TMP/l5" load --count 300 --close keep --src 192.0.2.7 --dst 192.0.2.1:8004
after=$(established 8004)
check "load --close keep: 300 more ESTABLISHED sockets ($before -> $after)" \
	eval 'load_ok "$TMP/l5" 300 && [ $((after - before)) = 300 ]'

run_peer "$TMP/l6" load --count 10000 --parallel 64 --toa v4 --src 192.0.2.8 --dst 192.0.2.1:8004
check "load --count 10000: ok=10000 in under a minute" load_ok "$TMP/l6" 10000
RATE=$(grep -o 'rate=[0-9]*/s' "$TMP/l6")

run_peer "$TMP/l7" load --count 100 --src 192.0.2.9 --dst 192.0.2.1:9999 --timeout 2
check "load to a closed port: failed=100, exit 1" \
	eval '[ $RC = 1 ] && grep -q "ok=0 bad=0 failed=100" "$TMP/l7"'

# --- load --toa random ------------------------------------------------------
# Without the module every answer is the proxy's: what this checks is that
# the kernel takes every generated list (no drop, no timeout), the lists'
# shape and determinism (suite/91-random-options.sh checks the predictions
# against the module).
rtally() { grep -E '^random seed=' "$1"; }
run_peer "$TMP/r1" load --count 2000 --toa random --seed 7 --src 192.0.2.12 --dst 192.0.2.1:8006
check "load --toa random to dual listener: ok=2000 (the kernel takes every list)" \
	eval 'load_ok "$TMP/r1" 2000 && rtally "$TMP/r1" | grep -Eqx "random seed=7 toa_syn=[1-9][0-9]* toa_ack=[1-9][0-9]* toa_data=0 none=[1-9][0-9]*"'
run_peer "$TMP/r2" load --count 2000 --toa random --seed 7 --src 192.0.2.12 --dst 192.0.2.1:8004
check "load --toa random: same seed, same lists (same tally)" \
	eval 'load_ok "$TMP/r2" 2000 && [ "$(rtally "$TMP/r1")" = "$(rtally "$TMP/r2")" ]'
run_peer "$TMP/r3" load --count 2000 --toa random --seed 8 --src 2001:db8::12 --dst '[2001:db8::1]:8066'
check "load --toa random over IPv6: ok=2000, another seed, another tally" \
	eval 'load_ok "$TMP/r3" 2000 && [ "$(rtally "$TMP/r3" | cut -d" " -f3-)" != "$(rtally "$TMP/r1" | cut -d" " -f3-)" ]'
run_peer "$TMP/r4" load --count 500 --toa random --seed 9 --src 192.0.2.12 --dst 192.0.2.1:8004 --trace
awk '/ > [0-9]+ S / { syn++; if ($NF !~ /^opt=020405b4/) bad++ }
     / > [0-9]+ (S|A|PA) / && / opt=/ { o = $NF; sub(/^opt=/, "", o); if (length(o) % 8 || length(o) > 80) bad++; n++ }
     END { print syn + 0, n + 0, bad + 0 }' "$TMP/r4.err" >"$TMP/r4.shape"
check "load --toa random: every SYN starts with MSS 1460, every list padded to x4, <= 40 bytes" \
	eval 'load_ok "$TMP/r4" 500 && read -r syn n bad <"$TMP/r4.shape" && [ "$syn" -ge 500 ] && [ "$n" -gt 1000 ] && [ "$bad" = 0 ]'
start_server defer --defer 5 --v4 8090
run_peer "$TMP/r6" load --count 1000 --toa random --seed 10 --defer --src 192.0.2.12 --dst 192.0.2.1:8090
check "load --toa random --defer against toa-server --defer 5: ok=1000, data TOAs expected" \
	eval 'load_ok "$TMP/r6" 1000 && rtally "$TMP/r6" | grep -Eq " toa_data=[1-9][0-9]* "'
stop_server defer
run_peer "$TMP/r7" load --count 10 --toa random --ack-opt 'fe08 1f90 c6336407' --src 192.0.2.12 --dst 192.0.2.1:8004
RC7=$RC
run_peer "$TMP/r8" load --count 10 --toa v4 --defer --src 192.0.2.12 --dst 192.0.2.1:8004
check "--toa random with --ack-opt, --defer without --toa random: usage errors (exit 2)" \
	eval '[ "$RC7" = 2 ] && [ $RC = 2 ] && grep -q "go with --toa random" "$TMP/r8.err"'

# --- hammer ---------------------------------------------------------------
start_server ham --hammer --quiet --v4 9004 --dual 9006 --v6only 9066
run_peer "$TMP/h1" load --count 500 --close keep --src 192.0.2.10 --dst 192.0.2.1:9004
check "hammer: load --close keep" load_ok "$TMP/h1" 500
run_peer "$TMP/h2" load --count 200 --close fin --toa v6 --src 192.0.2.10 --dst 192.0.2.1:9006
check "hammer: load --close fin (server stays half open)" load_ok "$TMP/h2" 200
run_peer "$TMP/h3" load --count 200 --close rst --toa v6 --src 2001:db8::10 --dst '[2001:db8::1]:9066'
check "hammer: load --close rst" load_ok "$TMP/h3" 200
# its own source address: a random port from 192.0.2.10 could meet one of
# the 700 sockets the loads above keep open (4-tuple already in use)
run_peer "$TMP/h4" conn --src 192.0.2.11 --dst 192.0.2.1:9004 --close fin
check "hammer: conn --close fin ends (server keeps its half open)" [ "$RC" = 0 ]
sleep 1
stop_server ham
cp "$TMP/ham.out" "$TMP/last"; cat "$TMP/ham.err" >>"$TMP/last"
check "hammer: SIGTERM -> exit 0, 'hammer calls=N good=N bad=0'" \
	eval '[ "$SRC" = 0 ] && grep -Eq "^hammer calls=([1-9][0-9]*) good=\1 bad=0$" "$TMP/ham.out"'

# --- toa-writer: this host's kernel writes the option ---------------------
# Client namespace $NS-wc (192.0.2.2, 2001:db8::2) in a cgroup of its own,
# server namespace $NS-ws (192.0.2.1, 2001:db8::1) with toa-server
# --saved-syn, which prints the options of each client SYN as the kernel
# saved them: an observer independent of the writer. The client is bash's
# /dev/tcp (a plain connect() on the kernel's TCP stack).
WRITER=$BIN/toa-writer
ip netns add "$NS-wc" && ip netns add "$NS-ws" &&
	ip -n "$NS-wc" link add wc0 type veth peer name ws0 netns "$NS-ws" &&
	ip -n "$NS-wc" addr add 192.0.2.2/24 dev wc0 &&
	ip -n "$NS-wc" addr add 2001:db8::2/64 dev wc0 nodad &&
	ip -n "$NS-ws" addr add 192.0.2.1/24 dev ws0 &&
	ip -n "$NS-ws" addr add 2001:db8::1/64 dev ws0 nodad &&
	ip -n "$NS-wc" link set wc0 up && ip -n "$NS-ws" link set ws0 up &&
	ip -n "$NS-wc" link set lo up && ip -n "$NS-ws" link set lo up ||
	{ echo "host-test: cannot set up the toa-writer namespaces" >&2; exit 2; }
mkdir -p "$TMP/cg" && mount -t cgroup2 cgroup2 "$TMP/cg" && WCG=$TMP/cg/vtoa-hosttest-$$ && mkdir "$WCG" ||
	{ echo "host-test: cannot mount cgroup2 / create a cgroup for toa-writer" >&2; exit 2; }
ip netns exec "$NS-ws" "$SRV" --v4 8004 --dual 8006 --saved-syn --close-first >"$TMP/ws.out" 2>"$TMP/ws.err" &
WS_PID=$!
PIDS+=("$WS_PID")
for i in $(seq 100); do grep -qx ready "$TMP/ws.out" 2>/dev/null && break; sleep 0.05; done

# wconn MODE ADDR KIND DST PORT: one connection from the cgroup under
# toa-writer; the SYN's options in $SYN, the writer's counters in $TMP/w.out
wconn() {
	local n
	"$WRITER" --cgroup "$WCG" --mode "$1" --addr "$2" --port 4321 ${3:+--kind "$3"} >"$TMP/w.out" 2>"$TMP/w.err" &
	local wp=$!
	for i in $(seq 100); do grep -q '^ready' "$TMP/w.out" 2>/dev/null && break; sleep 0.05; done
	n=$(wc -l <"$TMP/ws.out")
	timeout 20 sh -c "echo \$\$ >'$WCG/cgroup.procs' && exec ip netns exec '$NS-wc' bash -c 'exec 3<>/dev/tcp/$4/$5 && cat <&3'" >"$TMP/wc.out" 2>&1
	kill -TERM "$wp"; wait "$wp"
	SYN=$(sed -n "$((n + 1))p" "$TMP/ws.out" | sed -n 's/.* syn=//p')
	{ echo "\$ toa-writer --mode $1 --addr $2 ${3:+--kind $3} -> $4 port $5"; cat "$TMP/w.out" "$TMP/w.err" "$TMP/wc.out"; echo "syn=$SYN"; } >"$TMP/last"
}
wstat() { awk -v n="$1" '$1 == "stat" && $2 == n { print $3 }' "$TMP/w.out"; }

wconn lvs 198.51.100.7 "" 192.0.2.1 8004
check "toa-writer lvs: 254/8 on the SYN (fe0810e1c6336407)" eval '[[ $SYN == *fe0810e1c6336407 ]]'
check "toa-writer lvs: counted SYN 1, handshake ACK, stop at the server's data" \
	eval '[ "$(wstat written_syn)" = 1 ] && [ "$(wstat written_ack)" -ge 1 ] && [ "$(wstat stopped_server_data)" -ge 1 ]'
wconn dpvs 198.51.100.7 "" 192.0.2.1 8004
check "toa-writer dpvs: no option on the SYN, one on the ACK" \
	eval '[[ -n $SYN && $SYN != *fe08* ]] && [ "$(wstat written_syn)" = 0 ] && [ "$(wstat written_ack)" -ge 1 ]'
wconn lvs 2001:db8:c::7 "" 2001:db8::1 8006
check "toa-writer lvs IPv6: 253/20 on the SYN" eval '[[ $SYN == *fd1410e120010db8000c00000000000000000007* ]]'
wconn all 2001:db8:c::7 254 2001:db8::1 8006
check "toa-writer all, --kind 254: 254/20 on the SYN, never stops" \
	eval '[[ $SYN == *fe1410e120010db8000c00000000000000000007* ]] && [ "$(wstat stopped_server_data)" = 0 ]'
"$WRITER" --cgroup "$WCG" --mode fast --addr 198.51.100.7 --port 1 >"$TMP/last" 2>&1
RC=$?
check "toa-writer: unknown --mode is a usage error (exit 2)" eval '[ $RC = 2 ] && grep -q "want lvs, dpvs or all" "$TMP/last"'
"$WRITER" --cgroup "$WCG" --mode lvs --addr 198.51.100.7 --kind 253 --port 1 >"$TMP/last" 2>&1
RC=$?
check "toa-writer: IPv4 with --kind 253 is a usage error (exit 2)" eval '[ $RC = 2 ] && grep -q "IPv4 TOA is kind 254" "$TMP/last"'
"$WRITER" --cgroup "$WCG" --mode lvs --addr 2001:db8:c::7 --kind 25x --port 1 >"$TMP/last" 2>&1
RC=$?
check "toa-writer: --kind 25x is a usage error (exit 2)" eval '[ $RC = 2 ] && grep -q "^toa-writer: --kind wants a number from 253 to 254, got .25x.$" "$TMP/last"'
"$WRITER" --cgroup "$TMP/nonexistent" --mode lvs --addr 198.51.100.7 --port 1 >"$TMP/last" 2>&1
RC=$?
check "toa-writer: a missing cgroup fails with one line (exit 1)" eval '[ $RC = 1 ] && [ "$(wc -l <"$TMP/last")" = 1 ]'
kill -TERM "$WS_PID"

# --- end --------------------------------------------------------------------
stop_server main
check "server exits 0 on SIGTERM" [ "$SRC" = 0 ]

peer teardown >"$TMP/last" 2>&1 && peer teardown >>"$TMP/last" 2>&1
RC=$?
check "teardown (twice) removes vtoa0" eval '[ $RC = 0 ] && ! nsx ip link show vtoa0 >/dev/null 2>&1'

run_peer "$TMP/t1" conn --src 192.0.2.2 --dst 192.0.2.1:8004
check "conn without the device: clear error, exit 1" \
	eval '[ $RC = 1 ] && grep -q "does not exist" "$TMP/t1.err"'

echo "load rate (10000 conns, v4 TOA, parallel 64): ${RATE:-?}"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
