#!/bin/sh
# make bench, inside the guest (copied as DIR/run by bench/run). Measures the
# five figures of bench/README.md with the module unloaded and loaded, and
# figures 1-4 with the eBPF backend attached (when vtoa-bpf is in the
# payload), alternating over $ROUNDS rounds, and prints raw samples for
# bench/report.sh:
#
#   S KEY PHASE ROUND VALUE     one sample (PHASE: unloaded | loaded | ebpf)
#   I KEY VALUE...              information (kernel, cpus, ...)
#   # text                      progress
#
# Every loop is bounded by a count and every wait by a timeout.
. "$VTOA_LIB"
HERE=$(pwd)
PATH=$HERE:$PATH
ROUNDS=7 PEER_COUNT=1500 PEER_CHUNKS=3 MEM_CONNS=10000 MEM_PAIRS=3 TOOL_RUNS=9
[ -f "$HERE/config" ] && . "$HERE/config"
rel=$(uname -r)
# toa-server keeps MEM_CONNS sockets open
ulimit -n $((MEM_CONNS * 2 + 10000)) || fail "ulimit -n $((MEM_CONNS * 2 + 10000))"

I() { printf 'I %s\n' "$*"; }
S() { printf 'S %s %s %s %s\n' "$1" "$2" "$3" "$4"; }
# field NAME LINE: the value of NAME=VALUE in LINE (without a /s suffix)
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s|^$1=||p" | sed 's|/s$||' | head -n1; }

I kernel "$rel"
I cpus "$(nproc)"
I cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
I clocksource "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
I mem_kB "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
I rounds "$ROUNDS"
I peer_count "$PEER_COUNT"
I peer_chunks "$PEER_CHUNKS"

peer_setup
vtoa_loaded && vtoa_unload

TOA_CMD="toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:9200 --ack-opt 'fe08 10e1 c6336407' --close keep --timeout 5"
PEER_CMD="toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:9200 --close keep --timeout 5"

# 1. loopback connection rate, no TOA (the fastest 0.5 s window of 3 s)
bench_connrate() {
	out=$(timeout 30 connrate --seconds 3 --window 0.5 --warmup 0.5 --clients 4 --servers 2) ||
		fail "connrate ($1): $out"
	log "connrate $1: $out"
	S conn.rate "$1" "$2" "$(field best "$out")"
}

# 3. per-call cost: getpeername, getsockname, getsockopt(1348) on
#    loopback / peer / TOA sockets (ns = the fastest of 5 batches)
bench_callcost() {
	out=$(timeout 60 callcost --listen 192.0.2.1:9200 --toa-cmd "$TOA_CMD" \
		--peer-cmd "$PEER_CMD" --batches 5 --batch-ms 60) || fail "callcost ($1): $out"
	printf '%s\n' "$out" | while read -r _ sock call ns _; do
		S "cc.${sock#sock=}.${call#call=}" "$1" "$2" "${ns#ns=}"
	done
	printf '%s\n' "$out" | grep 'sock=toa' | sed "s/^/# $1 /"
}

# 2. connection rate through the FULLNAT peer (toa-server: accept,
#    getpeername, getsockname, getsockopt 1348 and 1349, close on RST)
#    in PEER_CHUNKS chunks of PEER_COUNT connections, the kinds alternating;
#    the sample is the fastest chunk of each kind
bench_peer() { # PHASE ROUND TOA...
	phase=$1 round=$2
	shift 2
	server_start --v4 8004 --quiet
	best_v4=0 best_none=0 c=1
	while [ $c -le "$PEER_CHUNKS" ]; do
		for toa in "$@"; do
			out=$(timeout 120 toa-peer load --src 192.0.2.2 --dst 192.0.2.1:8004 \
				--count "$PEER_COUNT" --parallel 64 --toa "$toa" --close rst --timeout 5) ||
				fail "toa-peer load --toa $toa ($phase): $out"
			log "peer $phase --toa $toa: $out"
			rate=$(field rate "$out")
			eval "best=\$best_$toa"
			[ "$rate" -gt "$best" ] && eval "best_$toa=$rate"
		done
		c=$((c + 1))
	done
	for toa in "$@"; do
		eval "S peer.$toa.rate $phase $round \$best_$toa"
	done
	server_stop
}

# the eBPF backend (bpf/, vtoa-bpf in the payload) as a third phase, when built
EBPF=
if command -v vtoa-bpf >/dev/null; then EBPF=ebpf; fi
I ebpf "${EBPF:-no}"
r=1
while [ $r -le "$ROUNDS" ]; do
	log "round $r of $ROUNDS"
	# ABBA: odd rounds unloaded first, even rounds loaded first; the eBPF
	# phase takes the middle place on odd rounds and comes first on even ones
	if [ $((r % 2)) -eq 1 ]; then order="unloaded $EBPF loaded"; else order="$EBPF loaded unloaded"; fi
	for phase in $order; do
		if [ "$phase" = loaded ]; then
			vtoa_load
			bench_connrate loaded $r
			bench_callcost loaded $r
			if [ $((r % 2)) -eq 1 ]; then bench_peer loaded $r v4 none; else bench_peer loaded $r none v4; fi
			assert_eq "$(stat probe_missed)" 0 "probe_missed"
			vtoa_unload
		elif [ "$phase" = ebpf ]; then
			VTOA_BACKEND=ebpf
			vtoa_load
			bench_connrate ebpf $r
			bench_callcost ebpf $r
			if [ $((r % 2)) -eq 1 ]; then bench_peer ebpf $r v4 none; else bench_peer ebpf $r none v4; fi
			vtoa_unload
			VTOA_BACKEND=kmod
		else
			bench_connrate unloaded $r
			bench_callcost unloaded $r
			bench_peer unloaded $r none
		fi
	done
	r=$((r + 1))
done

# 4. memory per tracked connection: MEM_CONNS open TOA connections
#    (--toa v4) against the same number without TOA (--toa none), both
#    with the module loaded, so the TCP sockets cancel out; then all closed
#    by killing the server (SO_LINGER 0) and checked back at baseline.
SLAB=/sys/kernel/slab/vtoa_entry
sunreclaim() { awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo; }
meminfo() { awk '/^(MemAvailable|Slab|SUnreclaim):/ { printf "%s %s kB  ", $1, $2 }' /proc/meminfo; }
slabnum() { cut -d' ' -f1 "$SLAB/$1"; }
wait_entries() { # wait until entries_live is 0 and RCU has freed them
	i=0
	while [ "$(stat entries_live)" != 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	assert_eq "$(stat entries_live)" 0 "entries_live after close"
	sleep 1.5	# the frees after a grace period, rhashtable shrink worker
}
mem_round() { # TOA ROUND
	s0=$(sunreclaim) o0=$(slabnum objects) p0=$(slabnum slabs)
	m0=$(meminfo)
	server_start --v4 8004 --quiet
	# at most 50,000 connections per source address (its port space)
	left=$MEM_CONNS src=2
	while [ "$left" -gt 0 ]; do
		n=$left; [ "$n" -le 50000 ] || n=50000
		out=$(timeout 300 toa-peer load --src 192.0.2.$src --dst 192.0.2.1:8004 \
			--count "$n" --parallel 64 --toa "$1" --close keep --timeout 10) ||
			fail "toa-peer load --src 192.0.2.$src --toa $1 --close keep: $out"
		left=$((left - n)) src=$((src + 1))
	done
	sleep 1
	s1=$(sunreclaim) o1=$(slabnum objects) p1=$(slabnum slabs) live=$(stat entries_live)
	m1=$(meminfo)
	server_stop	# SIGTERM: closes every socket with SO_LINGER {1,0}
	wait_entries
	s2=$(sunreclaim) o2=$(slabnum objects) p2=$(slabnum slabs)
	m2=$(meminfo)
	log "mem --toa $1 #$2: entries_live=$live vtoa_entry objects $o0 -> $o1 -> $o2, slabs $p0 -> $p1 -> $p2"
	log "   before: $m0"
	log "   open:   $m1"
	log "   closed: $m2"
	S "mem.$1.sunreclaim_open_kB" loaded "$2" $((s1 - s0))
	S "mem.$1.sunreclaim_closed_kB" loaded "$2" $((s2 - s0))
	S "mem.$1.entry_objects" loaded "$2" $((o1 - o0))
	S "mem.$1.entry_slabs" loaded "$2" $((p1 - p0))
	S "mem.$1.entry_slabs_closed" loaded "$2" $((p2 - p0))
	S "mem.$1.entries_live" loaded "$2" "$live"
}
log "memory: $MEM_CONNS open connections, --toa v4 vs --toa none, $MEM_PAIRS pairs"
vtoa_load
for f in object_size slab_size objs_per_slab order; do I "slab.$f" "$(cat $SLAB/$f)"; done
I page_size "$(getconf PAGESIZE)"
I mem_conns "$MEM_CONNS"
mem_round none 0	# warm-up: TCP, file and epoll caches grow once
p=1
while [ $p -le "$MEM_PAIRS" ]; do
	if [ $((p % 2)) -eq 1 ]; then mem_round v4 $p; mem_round none $p; else mem_round none $p; mem_round v4 $p; fi
	p=$((p + 1))
done
assert_eq "$(stat probe_missed)" 0 "probe_missed"
vtoa_unload

# 4b. the same for the eBPF backend (sk storage, no slab cache of its own):
#     SUnreclaim only, MEM_PAIRS pairs
if [ -n "$EBPF" ]; then
	log "memory, eBPF backend: $MEM_CONNS open connections, $MEM_PAIRS pairs"
	VTOA_BACKEND=ebpf
	vtoa_load
	p=1
	while [ $p -le "$MEM_PAIRS" ]; do
		for toa in v4 none; do
			s0=$(sunreclaim)
			server_start --v4 8004 --quiet
			out=$(timeout 300 toa-peer load --src 192.0.2.2 --dst 192.0.2.1:8004 \
				--count "$MEM_CONNS" --parallel 64 --toa "$toa" --close keep --timeout 10) ||
				fail "eBPF: toa-peer load --toa $toa --close keep: $out"
			sleep 1
			s1=$(sunreclaim) live=$(stat entries_live)
			server_stop
			wait_entries
			s2=$(sunreclaim)
			log "mem ebpf --toa $toa #$p: entries_live=$live SUnreclaim $s0 -> $s1 -> $s2 kB"
			S "mem.$toa.sunreclaim_open_kB" ebpf "$p" $((s1 - s0))
			S "mem.$toa.sunreclaim_closed_kB" ebpf "$p" $((s2 - s0))
			S "mem.$toa.entries_live" ebpf "$p" "$live"
		done
		p=$((p + 1))
	done
	vtoa_unload
	VTOA_BACKEND=kmod
fi

# 5. vtoa status / doctor, with the module installed as DKMS installs it
#    and loaded by `vtoa load` (see demo/run)
log "vtoa status / doctor: $TOOL_RUNS runs each"
mkdir -p "/lib/modules/$rel/updates/dkms" /etc/vtoa
cp "$VTOA_KO" "/lib/modules/$rel/updates/dkms/vtoa.ko"
depmod -a "$rel" || fail "depmod"
printf 'trusted_sources = 192.0.2.0/24, 2001:db8::/64\n' >/etc/vtoa/vtoa.conf
vtoa load >/dev/null || fail "vtoa load"
vtoa status >/dev/null
I status_rc $?
for c in "--version" status doctor; do
	out=$(walltime --runs "$TOOL_RUNS" --warmup 1 --name "vtoa${c#--}" -- vtoa $c) || fail "walltime vtoa $c"
	log "$out"
	S "tool.${c#--}.ms" loaded 0 "$(field median_ms "$out")"
	I "tool.${c#--}.rc" "$(field rc "$out")"
done
out=$(walltime --runs "$TOOL_RUNS" --name true -- /bin/true)
S tool.true.ms loaded 0 "$(field median_ms "$out")"
vtoa unload >/dev/null || vtoa_unload
log "done"
exit 0
