# Helpers for tests/vm/pkg/tests/*.sh (sh), on top of tests/vm/lib.sh.
# Source with:  . "$VTOA_LIB"; . "$VTOA_PKGLIB"
#
#   TRUSTED        what pkg-test wrote into /etc/vtoa/vtoa.conf before the first boot,
#   MAX_ENTRIES    and how the module shows it in /sys/module/vtoa/parameters/
#   run CMD...     print "$ CMD", run it, print its output indented; returns its status
#   unit_state     "<is-enabled> <is-active>" of vtoa.service
#   assert_loaded_with_config   module loaded with the parameters of the config
#   assert_unloaded             module not loaded
#   toa_conn PORT  one connection through the FULLNAT peer (proxy 192.0.2.2, TOA
#                  198.51.100.7:4321) to toa-server on PORT (started on demand);
#                  toa-peer's line in $CONN
#   assert_real_client PORT / assert_proxy_peer PORT
#                  getpeername/accept of such a connection is the TOA's client /
#                  the proxy

TRUSTED_CONF="192.0.2.0/24, 2001:db8::/64"
TRUSTED="192.0.2.0/24,2001:db8::/64"
MAX_ENTRIES=4096
CONF=/etc/vtoa/vtoa.conf
SPORT=${SPORT:-42000}

run() {
    printf '$ %s\n' "$*"
    _out=$("$@" 2>&1)
    _rc=$?
    [ -z "$_out" ] || printf '%s\n' "$_out" | sed 's/^/    /'
    [ $_rc -eq 0 ] || printf '    (exit status %s)\n' "$_rc"
    return $_rc
}

unit_state() {
    printf '%s %s\n' "$(systemctl is-enabled vtoa.service 2>&1)" "$(systemctl is-active vtoa.service 2>&1)"
}

assert_loaded_with_config() {
    vtoa_loaded || fail "module vtoa is not loaded"
    assert_eq "$(param trusted_sources)" "$TRUSTED" "parameter trusted_sources"
    assert_eq "$(param max_entries)" "$MAX_ENTRIES" "parameter max_entries"
    log "loaded, trusted_sources=$(param trusted_sources) max_entries=$(param max_entries) getpeername=$(param getpeername)"
}

assert_unloaded() {
    ! vtoa_loaded || fail "module vtoa is loaded: $(grep '^vtoa ' /proc/modules)"
    [ ! -e /sys/module/vtoa ] || fail "/sys/module/vtoa exists"
}

# (no command substitution around these: the server and SPORT live in this shell)
toa_conn() {
    [ -n "$SERVER_PID" ] || { peer_setup; server_start --v4 "$1"; }
    SPORT=$((SPORT + 1))
    toa-peer conn --src 192.0.2.2 --dst "192.0.2.1:$1" --sport "$SPORT" --ack-opt "fe08 10e1 c6336407" \
        >"$TMPDIR/conn.out" 2>&1 || { cat "$TMPDIR/conn.out"; fail "connection through toa-peer to port $1 failed"; }
    CONN=$(cat "$TMPDIR/conn.out")
}

assert_real_client() {
    toa_conn "$1"
    log "with vtoa: $CONN"
    assert_match "$CONN" "accept=4/198\.51\.100\.7:4321 peer=4/198\.51\.100\.7:4321 .*opt=4/198\.51\.100\.7:4321" "real client through the proxy"
}

assert_proxy_peer() {
    toa_conn "$1"
    log "without vtoa: $CONN"
    assert_match "$CONN" "accept=4/192\.0\.2\.2:$SPORT peer=4/192\.0\.2\.2:$SPORT .*opt=E/ENOPROTOOPT" "the proxy's address without the module"
}

# upgrade_repo_enable: the upgrade packages (pkg-test put them, version in
# $VTOA_PKGDIR/upgrade-version, into a second flat repository on the disk)
# into apt's sources; apt-get update. UPGRADE_VERSION: that version.
UPGRADE_REPO=/var/local/vtoa-repo-upgrade
upgrade_repo_enable() {
    UPGRADE_VERSION=$(cat "$VTOA_PKGDIR/upgrade-version") || fail "no $VTOA_PKGDIR/upgrade-version"
    [ -f "$UPGRADE_REPO/Packages" ] || fail "no $UPGRADE_REPO/Packages"
    echo "deb [trusted=yes] file:$UPGRADE_REPO ./" >/etc/apt/sources.list.d/vtoa-upgrade.list
    run apt-get update -q || fail "apt-get update failed"
}

# live_conn_start PORT: toa-server on PORT (its own, not toa_conn's) and one
# connection through the FULLNAT peer with a TOA (198.51.100.7:4321) that
# stays open (toa-peer --close keep): LIVE_SERVER_PID, LIVE_OUT.
# live_conn_peer: what getpeername() of that connection says now (toa-server
# prints it on SIGUSR1), e.g. 4/198.51.100.7:4321
live_conn_start() {
    peer_setup
    LIVE_OUT=$TMPDIR/live-server.out
    toa-server --v4 "$1" >"$LIVE_OUT" 2>&1 &
    LIVE_SERVER_PID=$!
    wait_ready "$LIVE_OUT" "$LIVE_SERVER_PID" '(^|[^[:alnum:]_])ready([^[:alnum:]_]|$)' "toa-server --v4 $1"
    toa-peer conn --src 192.0.2.2 --dst "192.0.2.1:$1" --sport 41999 --ack-opt "fe08 10e1 c6336407" \
        --close keep >"$TMPDIR/live-conn.out" 2>&1 || { cat "$TMPDIR/live-conn.out"; fail "the live connection through toa-peer failed"; }
    log "live connection: $(cat "$TMPDIR/live-conn.out")"
}
live_conn_peer() {
    n0=$(grep -c '^now end' "$LIVE_OUT")
    kill -USR1 "$LIVE_SERVER_PID" || fail "toa-server (the live connection's) is gone"
    _i=0
    while [ "$(grep -c '^now end' "$LIVE_OUT")" -le "$n0" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
    grep '^now fd=' "$LIVE_OUT" | tail -n1 | sed 's/.* peer=\([^ ]*\) .*/\1/'
}
