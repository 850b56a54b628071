# The vtoa tool against the real module (no systemd in this guest):
# load with the config, status, reload with a changed config, a bad config
# refused with file/line/key and nothing changed, selftest, doctor, stats,
# output into a full disk (one line, exit 74) and a closed pipe (SIGPIPE), unload
# (twice: idempotent).
. "$VTOA_LIB"
backend_skip "the vtoa tool drives the module here; its eBPF backend (vtoa.conf backend =) is tested in its own test"
command -v vtoa >/dev/null || fail "vtoa (the Swift tool) is not in the payload's bin/"
rel=$(uname -r)
mkdir -p "/lib/modules/$rel/updates/dkms" /etc/vtoa
cp "$VTOA_KO" "/lib/modules/$rel/updates/dkms/vtoa.ko"
depmod -a "$rel"

printf 'trusted_sources = 192.0.2.2/32\n' >/etc/vtoa/vtoa.conf
out=$(vtoa load 2>&1) || fail "vtoa load: $out"
log "$out"
vtoa_loaded || fail "vtoa load did not load the module"
assert_eq "$(param trusted_sources)" "192.0.2.2/32" "trusted_sources from the config"
assert_eq "$(param getpeername)" "Y" "getpeername default"

out=$(vtoa status --json) || fail "vtoa status --json exited $?: $out"
assert_match "$out" '"loaded" *: *true' "status --json: module loaded"

printf '# edited\ntrusted_sources = 192.0.2.0/24, 2001:db8::/64\ngetpeername = no\n' >/etc/vtoa/vtoa.conf
out=$(vtoa reload 2>&1) || fail "vtoa reload: $out"
assert_eq "$(param trusted_sources)" "192.0.2.0/24,2001:db8::/64" "trusted_sources after reload"
assert_eq "$(param getpeername)" "N" "getpeername after reload"

# the tool normalises as the module does: host bits, IPv6 spelling; the
# same list written differently is no change (one parameter table)
printf 'trusted_sources = 192.0.2.77/24, 2001:0db8:0:0::9/64\ngetpeername = no\n' >/etc/vtoa/vtoa.conf
out=$(vtoa reload 2>&1) || fail "vtoa reload of the same list spelled differently: $out"
assert_match "$out" "unchanged|no change|nothing" "reload of a normalised list changes nothing"
printf '%s\n' "$out" | grep -q "trusted_sources" && fail "reload reported trusted_sources as changed: $out"
# the module's max_entries range is the tool's
printf 'max_entries = 67108865\n' >/etc/vtoa/vtoa.conf
if out=$(vtoa reload 2>&1); then fail "vtoa reload accepted max_entries beyond the module's range: $out"; fi
assert_match "$out" "from 1 to 67108864" "max_entries range named"
printf '%s\n' 67108865 >/sys/module/vtoa/parameters/max_entries 2>/dev/null && fail "module accepted max_entries 67108865"
printf '%s\n' 67108864 >/sys/module/vtoa/parameters/max_entries || fail "module refused max_entries 67108864"
printf 'trusted_sources = 192.0.2.0/24, 2001:db8::/64\ngetpeername = no\nmax_entries = 67108864\n' >/etc/vtoa/vtoa.conf
out=$(vtoa reload 2>&1) || fail "vtoa reload with max_entries 67108864: $out"
printf '%s\n' "$out" | grep -q "max_entries" && fail "max_entries 67108864 reported as a change: $out"

printf 'trusted_sources = 192.0.2.0/24\nmax_entries = lots\n' >/etc/vtoa/vtoa.conf
if out=$(vtoa reload 2>&1); then fail "vtoa reload accepted a bad config: $out"; fi
log "bad config: $out"
assert_match "$out" "/etc/vtoa/vtoa.conf:2.*max_entries" "bad config names file, line and key"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "bad config: more than one line of error"
assert_eq "$(param trusted_sources)" "192.0.2.0/24,2001:db8::/64" "nothing changed by a bad config"

printf 'trusted_sources = 192.0.2.0/24\n' >/etc/vtoa/vtoa.conf
vtoa reload >/dev/null 2>&1 || fail "vtoa reload back to a good config"
out=$(vtoa selftest 2>&1) || fail "vtoa selftest failed: $out"
log "$out"
assert_match "$out" "PASS" "selftest verdict"

out=$(vtoa doctor 2>&1) || fail "vtoa doctor exited $? on a working machine: $out"
assert_match "$out" "module vtoa version 0\.1\.0 is loaded" "doctor sees the module"
# LC_ALL=C (this guest's locale): ASCII markers, no ✔ or →; UTF-8: the symbols
assert_match "$out" "^ok module vtoa version" "doctor under LC_ALL=C: ASCII ok marker"
printf '%s' "$out" | LC_ALL=C grep -q '[^[:print:][:space:]]' && fail "doctor under LC_ALL=C printed non-ASCII: $out"
out=$(LC_ALL=C.UTF-8 vtoa doctor 2>&1) || fail "vtoa doctor (UTF-8) exited $?"
assert_match "$out" "^✔ module vtoa version" "doctor under C.UTF-8: the ✔ marker"
# the selftest ran in its own network namespace: this one's counters are 0
out=$(vtoa stats --prometheus) || fail "vtoa stats --prometheus"
printf '%s\n' "$out" | grep -qx "vtoa_syn_recv_sock_toa_total 0" || fail "prometheus: syn_recv_sock_toa_total"
printf '%s\n' "$out" | grep -qx "vtoa_module_loaded 1" || fail "prometheus: vtoa_module_loaded 1"
printf '%s\n' "$out" | grep -qx "# TYPE vtoa_entries_live gauge" || fail "prometheus: entries_live is a gauge"

# output that cannot be written: one line on stderr, exit 74, no trap;
# a closed pipe: killed by SIGPIPE like coreutils, nothing on stderr
vtoa stats --prometheus >/dev/full 2>"$TMPDIR/err"; rc=$?
assert_eq "$rc" 74 "stats into a full disk: exit code"
assert_eq "$(cat "$TMPDIR/err")" "vtoa: cannot write output: No space left on device (free space on that file system, or write the output elsewhere)" "stats into a full disk: the message"
{ vtoa doctor --json 2>"$TMPDIR/err"; echo $? >"$TMPDIR/rc"; } | { exec <&-; sleep 2; }
assert_eq "$(cat "$TMPDIR/rc")" 141 "doctor --json into a closed pipe: killed by SIGPIPE"
assert_eq "$(cat "$TMPDIR/err")" "" "doctor --json into a closed pipe: stderr"

vtoa unload >/dev/null 2>&1 || fail "vtoa unload"
vtoa_loaded && fail "module still loaded after vtoa unload"
vtoa unload >/dev/null 2>&1 || fail "a second vtoa unload is not idempotent"
