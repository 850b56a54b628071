# Helpers for tests/vm/suite/*.sh (POSIX sh / dash). Source with:  . "$VTOA_LIB"
# Each test runs in its own empty directory under /tmp; exit 0 = PASS.
#
#   fail MSG                     print "FAIL: MSG" and exit 1
#   assert_eq GOT WANT WHAT      fail unless GOT = WANT (string compare)
#   assert_match STRING ERE WHAT fail unless STRING matches the extended regex
#   vtoa_load [PARAM=VAL ...]    insmod the module under test with params
#   vtoa_unload                  rmmod it (retries while busy)
#   vtoa_loaded                  true if the module is loaded
#   stat NAME [NETNS]            print the counter NAME from /proc/net/vtoa_stats
#                                (as network namespace NETNS sees it)
#   tcpext NAME                  print the kernel's TcpExt counter NAME (/proc/net/netstat)
#   param NAME [VALUE]           read (print) or write (like echo: VALUE + newline)
#                                /sys/module/vtoa/parameters/NAME
#   peer_setup                   "toa-peer setup" (once per boot)
#   server_start [ARGS]          start toa-server ARGS in the background, wait for its
#                                "ready" line (stored in $SERVER_READY), pid in $SERVER_PID
#                                (in network namespace $SERVER_NETNS when that is set)
#   server_stop                  stop it (also done at exit)
#   log MSG                      print "# MSG" (informational)
#   nginx_start                  nginx on 192.0.2.1:80 and [2001:db8::1]:80 serving
#                                "hello from the origin", access log (\$remote_addr:
#                                \$remote_port "\$request" \$status) in $NGINX_LOG
#                                (in network namespace $NGINX_NETNS when that is set;
#                                $NGINX_LISTEN is added to both listen lines, e.g. deferred)
#   nginx_stop                   stop it (also done at exit)
#   writer_netns_setup           for toa-writer tests: client namespace $WRITER_CLI
#                                (192.0.2.2, 2001:db8::2) and server namespace
#                                $WRITER_SRV (192.0.2.1, 2001:db8::1) joined by a
#                                veth pair (cli0 / srv0), cgroup $WRITER_CG; all
#                                removed at exit
#   writer_client CMD [ARG...]   run CMD in the client's cgroup and namespace
#   writer_start MODE ADDR [KIND]  attach toa-writer to $WRITER_CG (port 4321)
#   writer_stop                  detach it; then wstat NAME prints its counter NAME
#
# Backends: VTOA_BACKEND=kmod (default: the module) or ebpf (tests/vm/run
# --backend ebpf: bpf/'s programs through the loader vtoa-bpf). vtoa_load,
# vtoa_unload, vtoa_loaded, stat, param and param_try act on the one chosen:
# vtoa_load's PARAM=VAL become vtoa-bpf attach options, param is vtoa-bpf
# get/set, stat reads vtoa-bpf stats. For what a backend cannot do (yet):
#   backend_lacks CASE REASON    true (and prints "SKIP-CASE CASE: REASON",
#                                which run shows under the PASS) when the
#                                backend lacks CASE; false on the module
#   backend_skip REASON          skip the whole test on the eBPF backend
#                                (prints "SKIP: REASON", exit 77)
#   param_try NAME VALUE         write a parameter, return the status (no fail)
#   writer_loss PERCENT          netem packet loss on the client's link
#   writer_retrans               the client namespace's TCP RetransSegs
#
# $E_NOENT, $E_NOTCONN: the errors getsockopt 1349 without a TOA and
# 1348/1349 on an unconnected socket give: ENOENT and ENOTCONN, except on
# the eBPF backend before 5.18 (vtoa-bpf get sockopt_errno = 0), where a
# cgroup getsockopt program cannot set an error and the kernel's own,
# ENOPROTOOPT, stays (printed once per test as SKIP-CASE sockopt-errno).

VTOA=${VTOA:-/vtoa}
VTOA_KMOD_NAME=${VTOA_KMOD_NAME:-vtoa}
VTOA_KO=${VTOA_KO:-$VTOA/$VTOA_KMOD_NAME.ko}
VTOA_STATS=${VTOA_STATS:-/proc/net/vtoa_stats}
VTOA_BACKEND=${VTOA_BACKEND:-kmod}
E_NOENT=ENOENT
E_NOTCONN=ENOTCONN
_errno_noted=
SERVER_PID=
SERVER_READY=
SERVER_OUT=

log() { printf '# %s\n' "$*"; }

fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}

assert_eq() {
    [ "$1" = "$2" ] || fail "${3:-value}: got '$1', want '$2'"
}

assert_match() {
    printf '%s\n' "$1" | grep -Eq -- "$2" || fail "${3:-value}: '$1' does not match /$2/"
}

backend_lacks() {
    [ "$VTOA_BACKEND" = ebpf ] || return 1
    printf 'SKIP-CASE %s: %s (%s backend)\n' "$1" "$2" "$VTOA_BACKEND"
    return 0
}

backend_skip() {
    [ "$VTOA_BACKEND" = ebpf ] || return 0
    printf 'SKIP: %s (%s backend)\n' "$1" "$VTOA_BACKEND"
    exit 77
}

vtoa_loaded() {
    if [ "$VTOA_BACKEND" = ebpf ]; then
        [ -d /sys/fs/bpf/vtoa ]
        return
    fi
    grep -q "^$VTOA_KMOD_NAME " /proc/modules
}

vtoa_load() {
    if [ "$VTOA_BACKEND" = ebpf ]; then
        command -v vtoa-bpf >/dev/null || fail "vtoa-bpf not in payload bin/"
        for _kv in "$@"; do
            _k=${_kv%%=*} _v=${_kv#*=}
            case $_k in
                trusted_sources) set -- "$@" --trusted "$_v" ;;
                getpeername|getsockopt) set -- "$@" "--$_k" "$_v" ;;
                ipv6_kind254) set -- "$@" --ipv6-kind254 "$_v" ;;
                *) fail "ebpf backend: no parameter '$_k' (vtoa_load $_kv)" ;;
            esac
            shift
        done
        vtoa-bpf attach "$@" || fail "vtoa-bpf attach $* failed"
        if [ "$(vtoa-bpf get sockopt_errno)" = 0 ]; then
            E_NOENT=ENOPROTOOPT E_NOTCONN=ENOPROTOOPT
            [ -n "$_errno_noted" ] || backend_lacks sockopt-errno "before 5.18 a cgroup getsockopt program cannot set an error: 1349 without a TOA and 1348/1349 on an unconnected socket fail with the kernel's ENOPROTOOPT, not ENOENT/ENOTCONN (checked as such)"
            _errno_noted=1
        fi
        return 0
    fi
    [ -f "$VTOA_KO" ] || fail "module file $VTOA_KO missing"
    insmod "$VTOA_KO" "$@" || fail "insmod $VTOA_KO $* failed"
}

vtoa_unload() {
    if [ "$VTOA_BACKEND" = ebpf ]; then
        ! vtoa_loaded || vtoa-bpf detach || fail "vtoa-bpf detach failed"
        return 0
    fi
    _i=0
    while vtoa_loaded; do
        if _err=$(rmmod "$VTOA_KMOD_NAME" 2>&1); then
            return 0
        fi
        _i=$((_i + 1))
        case $_err in
            *busy*|*Busy*|*BUSY*|*"in use"*|*"temporarily unavailable"*) [ $_i -lt 20 ] || fail "rmmod $VTOA_KMOD_NAME: still busy after 10s: $_err" ;;
            *) fail "rmmod $VTOA_KMOD_NAME: $_err" ;;
        esac
        sleep 0.5
    done
    return 0
}

stat() {
    if [ "$VTOA_BACKEND" = ebpf ]; then
        [ -z "$2" ] || fail "ebpf backend: counters are not per network namespace (stat $1 $2)"
        vtoa-bpf stats | awk -v n="$1" '$1 == n { print $2; found = 1; exit } END { exit !found }' \
            || fail "no counter '$1' in vtoa-bpf stats"
        return 0
    fi
    [ -r "$VTOA_STATS" ] || fail "$VTOA_STATS not readable (module loaded?)"
    ${2:+ip netns exec "$2"} awk -v n="$1" '$1 == n { print $2; found = 1; exit } END { exit !found }' "$VTOA_STATS" \
        || fail "no counter '$1' in $VTOA_STATS${2:+ of network namespace $2}"
}

tcpext() {
    awk -v n="$1" '/^TcpExt:/ { if (!seen) { seen = 1; for (i = 2; i <= NF; i++) if ($i == n) col = i; next } if (col) { print $col; found = 1 } }
        END { exit !found }' /proc/net/netstat || fail "no TcpExt counter $1 in /proc/net/netstat"
}

param() {
    if [ "$VTOA_BACKEND" = ebpf ]; then
        if [ $# -ge 2 ]; then
            vtoa-bpf set "$1" "$2" || fail "vtoa-bpf set $1 '$2' failed"
        else
            vtoa-bpf get "$1" || fail "vtoa-bpf get $1 failed"
        fi
        return 0
    fi
    _p=/sys/module/$VTOA_KMOD_NAME/parameters/$1
    [ -e "$_p" ] || fail "no module parameter $1 ($_p)"
    if [ $# -ge 2 ]; then
        printf '%s\n' "$2" >"$_p" || fail "writing '$2' to parameter $1 failed"
    else
        cat "$_p" || fail "reading parameter $1 failed"
    fi
}

param_try() {
    if [ "$VTOA_BACKEND" = ebpf ]; then
        vtoa-bpf set "$1" "$2"
        return
    fi
    printf '%s\n' "$2" >"/sys/module/$VTOA_KMOD_NAME/parameters/$1"
}

peer_setup() {
    [ -e /run/vtoa-peer-setup.done ] && return 0
    command -v toa-peer >/dev/null || fail "toa-peer not in payload bin/"
    toa-peer setup || fail "toa-peer setup failed"
    : >/run/vtoa-peer-setup.done
}

# wait_ready FILE PID ERE WHAT: wait up to 10 s for a line matching ERE in
# FILE, written by process PID (a child of this shell, so it is reaped and
# seen to exit); the line goes to $READY_LINE; fails (FILE on stderr) if PID
# exits first or time runs out
READY_LINE=
wait_ready() {
    _i=0
    until READY_LINE=$(grep -m1 -E "$3" "$1" 2>/dev/null); do
        if ! kill -0 "$2" 2>/dev/null; then
            cat "$1" >&2
            fail "$4 exited before 'ready'"
        fi
        _i=$((_i + 1))
        if [ $_i -ge 100 ]; then
            cat "$1" >&2
            fail "$4 not ready after 10s"
        fi
        sleep 0.1
    done
}

server_start() {
    command -v toa-server >/dev/null || fail "toa-server not in payload bin/"
    [ -z "$SERVER_PID" ] || server_stop
    SERVER_OUT=$(mktemp "${TMPDIR:-/tmp}/toa-server.XXXXXX")
    ${SERVER_NETNS:+ip netns exec "$SERVER_NETNS"} toa-server "$@" >"$SERVER_OUT" 2>&1 &
    SERVER_PID=$!
    wait_ready "$SERVER_OUT" "$SERVER_PID" '(^|[^[:alnum:]_])ready([^[:alnum:]_]|$)' "toa-server $*"
    SERVER_READY=$READY_LINE
    trap vtoa_cleanup EXIT
    return 0
}

server_stop() {
    [ -n "$SERVER_PID" ] || return 0
    kill "$SERVER_PID" 2>/dev/null
    _i=0
    while kill -0 "$SERVER_PID" 2>/dev/null && [ $_i -lt 30 ]; do sleep 0.1; _i=$((_i + 1)); done
    kill -9 "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
    return 0
}

# server_output: print what the running/last server printed so far
server_output() {
    [ -n "$SERVER_OUT" ] && cat "$SERVER_OUT"
}

# nginx_start: a real server behind the FULLNAT peer (see the header)
NGINX_LOG=
nginx_start() {
    command -v nginx >/dev/null || fail "nginx is not in the guest image"
    mkdir -p "$TMPDIR/www" "$TMPDIR/logs"
    echo "hello from the origin" >"$TMPDIR/www/index.html"
    NGINX_LOG=$TMPDIR/logs/access.log
    cat >"$TMPDIR/nginx.conf" <<CONF
daemon on;
user root;
worker_processes 1;
pid $TMPDIR/nginx.pid;
error_log $TMPDIR/logs/error.log;
events { worker_connections 64; }
http {
	log_format real '\$remote_addr:\$remote_port "\$request" \$status';
	access_log $NGINX_LOG real;
	server { listen 192.0.2.1:80 $NGINX_LISTEN; listen [2001:db8::1]:80 $NGINX_LISTEN; root $TMPDIR/www; }
}
CONF
    ${NGINX_NETNS:+ip netns exec "$NGINX_NETNS"} nginx -c "$TMPDIR/nginx.conf" -e "$TMPDIR/logs/error.log" || fail "nginx did not start"
    trap vtoa_cleanup EXIT
}

nginx_stop() {
    [ -n "$NGINX_LOG" ] && [ -f "$TMPDIR/nginx.pid" ] || return 0
    kill "$(cat "$TMPDIR/nginx.pid")" 2>/dev/null
    rm -f "$TMPDIR/nginx.pid"
    return 0
}

# toa-writer: the guest kernel's own TCP stack writes the option (see the header)
WRITER_CLI=vtoa-cli
WRITER_SRV=vtoa-srv
WRITER_CG=/sys/fs/cgroup/vtoa-writer
WRITER_PID=
WRITER_NETNS=
WRITER_MOUNTED_CG=
writer_netns_setup() {
    command -v toa-writer >/dev/null || fail "toa-writer is not in the payload's bin/"
    WRITER_NETNS=1
    trap vtoa_cleanup EXIT
    ip netns add $WRITER_CLI && ip netns add $WRITER_SRV || fail "ip netns add failed"
    ip -n $WRITER_CLI link add cli0 type veth peer name srv0 netns $WRITER_SRV || fail "veth pair not created"
    ip -n $WRITER_CLI addr add 192.0.2.2/24 dev cli0 &&
        ip -n $WRITER_CLI addr add 2001:db8::2/64 dev cli0 nodad &&
        ip -n $WRITER_SRV addr add 192.0.2.1/24 dev srv0 &&
        ip -n $WRITER_SRV addr add 2001:db8::1/64 dev srv0 nodad || fail "veth addresses not set"
    for _ns in $WRITER_CLI $WRITER_SRV; do ip -n $_ns link set lo up || fail "lo up in $_ns"; done
    ip -n $WRITER_CLI link set cli0 up && ip -n $WRITER_SRV link set srv0 up || fail "veth not up"
    if ! awk '$2 == "/sys/fs/cgroup" && $3 == "cgroup2" { f = 1 } END { exit !f }' /proc/mounts; then
        mount -t cgroup2 cgroup2 /sys/fs/cgroup || fail "cannot mount cgroup2 on /sys/fs/cgroup"
        WRITER_MOUNTED_CG=1
    fi
    mkdir -p "$WRITER_CG" || fail "cannot create cgroup $WRITER_CG"
}

# the cgroup is joined before `ip netns exec`, which mounts its own /sys
writer_client() {
    sh -c 'echo $$ >"$1" && shift && exec ip netns exec "$@"' sh "$WRITER_CG/cgroup.procs" $WRITER_CLI "$@"
}

writer_start() {
    toa-writer --cgroup "$WRITER_CG" --mode "$1" --addr "$2" --port 4321 ${3:+--kind "$3"} >"$TMPDIR/writer" 2>&1 &
    WRITER_PID=$!
    wait_ready "$TMPDIR/writer" "$WRITER_PID" '^ready' "toa-writer $*"
}

writer_stop() {
    kill -TERM "$WRITER_PID"
    wait "$WRITER_PID" || { cat "$TMPDIR/writer" >&2; WRITER_PID=; fail "toa-writer did not stop cleanly"; }
    WRITER_PID=
    grep -q '^done$' "$TMPDIR/writer" || fail "toa-writer printed no counters: $(cat "$TMPDIR/writer")"
    log "writer: $(grep '^stat' "$TMPDIR/writer" | cut -d' ' -f2- | tr '\n' ' ')"
}

# writer_loss PERCENT: netem loss on the client's link (its egress)
writer_loss() {
    ip netns exec $WRITER_CLI tc qdisc add dev cli0 root netem loss "$1%" || fail "tc netem not available"
}

# writer_retrans: the client namespace's TCP RetransSegs (/proc/net/snmp)
writer_retrans() {
    ip netns exec $WRITER_CLI awk '$1 == "Tcp:" && !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
        $1 == "Tcp:" { print $c["RetransSegs"] }' /proc/net/snmp
}

wstat() {
    awk -v n="$1" '$1 == "stat" && $2 == n { print $3 }' "$TMPDIR/writer"
}

writer_teardown() {
    [ -z "$WRITER_PID" ] || { kill "$WRITER_PID" 2>/dev/null; wait "$WRITER_PID" 2>/dev/null; WRITER_PID=; }
    [ -n "$WRITER_NETNS" ] || return 0
    ip netns del $WRITER_CLI 2>/dev/null
    ip netns del $WRITER_SRV 2>/dev/null
    rmdir "$WRITER_CG" 2>/dev/null
    [ -z "$WRITER_MOUNTED_CG" ] || umount /sys/fs/cgroup
    WRITER_NETNS= WRITER_MOUNTED_CG=
    return 0
}

vtoa_cleanup() {
    server_stop
    nginx_stop
    writer_teardown
}
