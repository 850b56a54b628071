# 3. A bad /etc/vtoa/vtoa.conf: systemctl start vtoa fails, systemctl status and
#    the journal name the file, the line and the key, nothing is loaded. Then the
#    good configuration is put back and the service started again.
. "$VTOA_LIB"; . "$VTOA_PKGLIB"
run systemctl stop vtoa.service || fail "systemctl stop vtoa failed"
assert_unloaded
cp "$CONF" good.conf
echo "getpeername = perhaps" >>"$CONF"
line=$(wc -l <"$CONF")
log "bad line $line: $(tail -n1 "$CONF")"
run systemctl start vtoa.service && fail "systemctl start vtoa succeeded with a bad config"
status=$(systemctl status --no-pager --lines=20 vtoa.service 2>&1)
printf '%s\n' "$status" | sed 's/^/    /'
assert_eq "$(systemctl is-active vtoa.service)" failed "is-active after a failed start"
assert_match "$status" "$CONF:$line \\(key 'getpeername'\\)" "systemctl status names file:line and key"
journal=$(journalctl -b -u vtoa.service --no-pager -o cat)
assert_match "$journal" "$CONF:$line \\(key 'getpeername'\\)" "the journal names file:line and key"
assert_unloaded
cp good.conf "$CONF"
run systemctl start vtoa.service || fail "systemctl start vtoa with the good config failed"
assert_loaded_with_config
