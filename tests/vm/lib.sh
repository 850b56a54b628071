# Helpers for tests/vm/suite/*.sh (POSIX sh / dash). Source with:  . "$VTOA_LIB"
# Each test runs in its own empty directory under /tmp; exit 0 = PASS.
#
#   fail MSG                     print "FAIL: MSG" and exit 1
#   assert_eq GOT WANT WHAT      fail unless GOT = WANT (string compare)
#   assert_match STRING ERE WHAT fail unless STRING matches the extended regex
#   vtoa_load [PARAM=VAL ...]    insmod the module under test with params
#   vtoa_unload                  rmmod it (retries while busy)
#   vtoa_loaded                  true if the module is loaded
#   stat NAME                    print the counter NAME from /proc/net/vtoa_stats
#   param NAME [VALUE]           read (print) or write (like echo: VALUE + newline)
#                                /sys/module/vtoa/parameters/NAME
#   peer_setup                   "toa-peer setup" (once per boot)
#   server_start [ARGS]          start toa-server ARGS in the background, wait for its
#                                "ready" line (stored in $SERVER_READY), pid in $SERVER_PID
#   server_stop                  stop it (also done at exit)
#   log MSG                      print "# MSG" (informational)
#   nginx_start                  nginx on 192.0.2.1:80 and [2001:db8::1]:80 serving
#                                "hello from the origin", access log (\$remote_addr:
#                                \$remote_port "\$request" \$status) in $NGINX_LOG
#                                (in network namespace $NGINX_NETNS when that is set)
#   nginx_stop                   stop it (also done at exit)

VTOA=${VTOA:-/vtoa}
VTOA_KMOD_NAME=${VTOA_KMOD_NAME:-vtoa}
VTOA_KO=${VTOA_KO:-$VTOA/$VTOA_KMOD_NAME.ko}
VTOA_STATS=${VTOA_STATS:-/proc/net/vtoa_stats}
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

vtoa_loaded() {
    grep -q "^$VTOA_KMOD_NAME " /proc/modules
}

vtoa_load() {
    [ -f "$VTOA_KO" ] || fail "module file $VTOA_KO missing"
    insmod "$VTOA_KO" "$@" || fail "insmod $VTOA_KO $* failed"
}

vtoa_unload() {
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
    [ -r "$VTOA_STATS" ] || fail "$VTOA_STATS not readable (module loaded?)"
    awk -v n="$1" '$1 == n { print $2; found = 1; exit } END { exit !found }' "$VTOA_STATS" \
        || fail "no counter '$1' in $VTOA_STATS"
}

param() {
    _p=/sys/module/$VTOA_KMOD_NAME/parameters/$1
    [ -e "$_p" ] || fail "no module parameter $1 ($_p)"
    if [ $# -ge 2 ]; then
        printf '%s\n' "$2" >"$_p" || fail "writing '$2' to parameter $1 failed"
    else
        cat "$_p" || fail "reading parameter $1 failed"
    fi
}

peer_setup() {
    [ -e /run/vtoa-peer-setup.done ] && return 0
    command -v toa-peer >/dev/null || fail "toa-peer not in payload bin/"
    toa-peer setup || fail "toa-peer setup failed"
    : >/run/vtoa-peer-setup.done
}

server_start() {
    command -v toa-server >/dev/null || fail "toa-server not in payload bin/"
    [ -z "$SERVER_PID" ] || server_stop
    SERVER_OUT=$(mktemp "${TMPDIR:-/tmp}/toa-server.XXXXXX")
    toa-server "$@" >"$SERVER_OUT" 2>&1 &
    SERVER_PID=$!
    _i=0
    while :; do
        SERVER_READY=$(grep -m1 -E '(^|[^[:alnum:]_])ready([^[:alnum:]_]|$)' "$SERVER_OUT" 2>/dev/null) && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            cat "$SERVER_OUT" >&2
            SERVER_PID=
            fail "toa-server $* exited before 'ready'"
        fi
        _i=$((_i + 1))
        if [ $_i -ge 100 ]; then
            cat "$SERVER_OUT" >&2
            fail "toa-server $* not ready after 10s"
        fi
        sleep 0.1
    done
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
	server { listen 192.0.2.1:80; listen [2001:db8::1]:80; root $TMPDIR/www; }
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

vtoa_cleanup() {
    server_stop
    nginx_stop
}
