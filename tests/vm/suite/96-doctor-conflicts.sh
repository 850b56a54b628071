# vtoa doctor finds what fights the module: a clean machine first; then a
# dummy module named "toa" (another TOA module: ✘, exit 1); then a cgroup
# getpeername4 eBPF program on the cgroup v2 root (as Cilium's socket load
# balancer attaches: !, its id); clean again after each is removed. Also:
# whose rewrite getpeername() returns with such a program attached (vtoa's,
# getsockopt 1348 unaffected), ipv6_kind254 from the config on load and
# reload, and, once the module counts toa_kind254_len20, doctor's hint;
# kprobes switched off; a kernel that ships its own vtoa (a stand-in
# under kernel/net/vtoa/): which one is loaded, which one libkmod finds;
# and TOA connections lost to a full table (max_entries), which the
# end-to-end test (selftest's handshake, the last check) then fails too.
. "$VTOA_LIB"
backend_skip "vtoa doctor's conflicts with the module (other TOA modules, kprobes, max_entries)"
command -v vtoa >/dev/null || fail "vtoa (the Swift tool) is not in the payload's bin/"
command -v bpf-getpeername >/dev/null || fail "bpf-getpeername is not in the payload's bin/"
TOA_KO=$(dirname "$(command -v bpf-getpeername)")/toa.ko
[ -f "$TOA_KO" ] || fail "$TOA_KO missing (make -C tests/vm/src builds it against the guest's headers)"
KVTOA_KO=$(dirname "$TOA_KO")/kernel-vtoa.ko
[ -f "$KVTOA_KO" ] || fail "$KVTOA_KO missing (make -C tests/vm/src builds it against the guest's headers)"

rel=$(uname -r)
mkdir -p "/lib/modules/$rel/updates/dkms" /etc/vtoa
cp "$VTOA_KO" "/lib/modules/$rel/updates/dkms/vtoa.ko"
depmod -a "$rel"

# the guest's init mounts no cgroup file system
mounted_cg=
if ! awk '$2 == "/sys/fs/cgroup" && $3 == "cgroup2" { f = 1 } END { exit !f }' /proc/mounts; then
	mount -t cgroup2 cgroup2 /sys/fs/cgroup || fail "cannot mount cgroup2 on /sys/fs/cgroup"
	mounted_cg=1
fi
KDIR_VTOA=/lib/modules/$rel/kernel/net/vtoa
cleanup() {
	bpf-getpeername detach >/dev/null 2>&1
	grep -q '^toa ' /proc/modules && rmmod toa
	if [ -d "$KDIR_VTOA" ]; then
		vtoa_unload
		rm -rf "$KDIR_VTOA"
		[ -f "/lib/modules/$rel/updates/dkms/vtoa.ko" ] || cp "$VTOA_KO" "/lib/modules/$rel/updates/dkms/vtoa.ko"
		depmod -a "$rel"
	fi
	[ -z "$mounted_cg" ] || umount /sys/fs/cgroup
	server_stop
}
trap cleanup EXIT

# doctor [WANT_EXIT]: runs vtoa doctor into $out, checks its exit status
doctor() {
	# UTF-8, so the markers are ✔ ✘ (95-tool checks the ASCII ones under LC_ALL=C)
	out=$(LC_ALL=C.UTF-8 vtoa doctor 2>&1)
	_rc=$?
	[ "$_rc" = "${1:-0}" ] || fail "vtoa doctor exited $_rc, want ${1:-0}: $out"
}
# clean: no conflict of any of the three kinds, nothing failed
clean() {
	doctor 0
	assert_match "$out" "^✔ no other TOA module loaded$" "$1: conflict"
	assert_match "$out" "^✔ the kernel ships no vtoa module of its own$" "$1: kernel-vtoa"
	assert_match "$out" "^✔ no cgroup eBPF program rewrites getpeername\(\) \(/sys/fs/cgroup: getpeername4, getpeername6\)$" "$1: bpf"
	assert_match "$out" "^✔ no TOA lost \(toa_over_cap, toa_alloc_fail, toa_syn_cookie and probe_missed are 0\)$" "$1: lost"
	assert_match "$out" "^✔ end to end: a crafted TOA connection in a private network namespace gets what this configuration should give \(vtoa selftest\)$" "$1: end to end"
	if printf '%s\n' "$out" | grep -q '^✘'; then fail "$1: a ✘ line: $out"; fi
}

printf 'trusted_sources = 192.0.2.2/32\nipv6_kind254 = yes\n' >/etc/vtoa/vtoa.conf
r=$(vtoa load 2>&1) || fail "vtoa load: $r"
assert_eq "$(param ipv6_kind254)" "Y" "ipv6_kind254 = yes passed on load"
printf 'trusted_sources = 192.0.2.2/32\n' >/etc/vtoa/vtoa.conf
r=$(vtoa reload 2>&1) || fail "vtoa reload: $r"
assert_eq "$(param ipv6_kind254)" "N" "ipv6_kind254 back to the default on reload"

clean "before"
log "$out"

# 1. another TOA module
insmod "$TOA_KO" || fail "insmod $TOA_KO"
doctor 1
log "$out"
assert_match "$out" "^✘ another TOA module is loaded: toa$" "doctor names the toa module"
assert_match "$out" "→ unload it \('modprobe -r toa'\) and blacklist it .*getpeername" "its remedy"
rmmod toa || fail "rmmod toa"
clean "after rmmod toa"

# 2. a cgroup getpeername4 program on the cgroup v2 root; it stays attached
#    after the helper exits
r=$(bpf-getpeername attach) || fail "bpf-getpeername attach: $r"
log "$r"
id=$(printf '%s\n' "$r" | sed -n 's/^attached id=\([0-9]*\) .*/\1/p')
[ -n "$id" ] || fail "no program id from bpf-getpeername attach: $r"
doctor 0
log "$out"
assert_match "$out" "^! 1 cgroup eBPF program on /sys/fs/cgroup also rewrites getpeername\(\) .*: getpeername4 id $id \(vtoa_test_gpn\)$" "doctor reports the program and its id"
assert_match "$out" "→ on connections with a TOA vtoa's getpeername\(\) rewrite runs after theirs and wins, and getsockopt\(IPPROTO_IP, 1348\) is unaffected" "its remedy"
r=$(bpf-getpeername detach) || fail "bpf-getpeername detach: $r"
assert_eq "$r" "detached id=$id" "detach"
clean "after detach"

# what the remedy says: with a program rewriting getpeername4 to 203.0.113.9,
# a connection with a TOA still gets the TOA from getpeername()/accept()
# (vtoa's kretprobe runs after the cgroup hook) and from getsockopt 1348;
# one without a TOA gets the program's address from all three (1348
# without a TOA answers as getpeername() does)
peer_setup
server_start --v4 8096
r=$(bpf-getpeername attach --rewrite 203.0.113.9) || fail "bpf-getpeername attach --rewrite: $r"
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8096 --sport 49601 --ack-opt "fe08 10e1 c6336407") ||
	fail "TOA connection failed"
log "TOA, rewriting program: $out"
assert_match "$out" "accept=4/198\.51\.100\.7:4321 peer=4/198\.51\.100\.7:4321 .*opt=4/198\.51\.100\.7:4321 " "vtoa wins over the program"
out=$(toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8096 --sport 49602) || fail "connection without TOA failed"
log "no TOA, rewriting program: $out"
assert_match "$out" "accept=4/203\.0\.113\.9:49602 peer=4/203\.0\.113\.9:49602 .*opt=4/203\.0\.113\.9:49602 toa=E/$E_NOENT" "the program's rewrite without a TOA"
bpf-getpeername detach >/dev/null || fail "bpf-getpeername detach (rewrite)"
clean "after the rewriting program"

# 3. IPv6 TOA sent as kind 254 length 20 while ipv6_kind254 is off
grep -q '^toa_kind254_len20 ' "$VTOA_STATS" || fail "no toa_kind254_len20 counter in the module"
server_start --dual 8097
out=$(toa-peer conn --src 2001:db8::2 --dst "[2001:db8::1]:8097" --sport 49603 \
	--ack-opt "fe14 10e1 20010db8000c00000000000000000007") || fail "254/20 connection failed"
[ "$(stat toa_kind254_len20)" -ge 1 ] || fail "toa_kind254_len20 not counted"
doctor 0
assert_match "$out" "^! [0-9]+ TOA options? of kind 254 length 20 .*ipv6_kind254 is off$" "doctor: kind 254 hint"
assert_match "$out" "→ set 'ipv6_kind254 = yes' in /etc/vtoa/vtoa.conf, then 'vtoa reload'" "kind 254 remedy"
printf 'trusted_sources = 192.0.2.2/32\nipv6_kind254 = yes\n' >/etc/vtoa/vtoa.conf
vtoa reload >/dev/null 2>&1 || fail "vtoa reload with ipv6_kind254 = yes"
doctor 0
assert_match "$out" "^✔ ipv6_kind254 is on" "doctor after ipv6_kind254 = yes"

# 4. the global kprobes switch in debugfs: vtoa needs kprobes only for its
#    getname fallback; with the ftrace redirect (this kernel) switching
#    them off changes nothing (✔, exit 0, the end-to-end check passes)
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug || fail "cannot mount debugfs"
[ -f /sys/kernel/debug/kprobes/enabled ] || fail "no /sys/kernel/debug/kprobes/enabled"
doctor 0
assert_match "$out" "^✔ kprobes are switched on \(/sys/kernel/debug/kprobes/enabled is 1\)$" "doctor: kprobes on"
echo 0 >/sys/kernel/debug/kprobes/enabled || fail "cannot switch kprobes off"
doctor 0
log "$out"
echo 1 >/sys/kernel/debug/kprobes/enabled || fail "cannot switch kprobes back on"
assert_match "$out" "^✔ kprobes are switched off \(/sys/kernel/debug/kprobes/enabled is 0\): vtoa does not use them here \(getname by ftrace redirect\)$" "doctor: kprobes off, redirect in use"
assert_match "$out" "^✔ end to end" "doctor: end to end with kprobes off"
clean "after kprobes switched on again"

# 5. a kernel that ships its own vtoa (Alibaba Cloud Linux 3:
#    kernel/net/vtoa/vtoa.ko); the stand-in is an empty module named vtoa
ours=/lib/modules/$rel/updates/dkms/vtoa.ko
mkdir -p "$KDIR_VTOA" && cp "$KVTOA_KO" "$KDIR_VTOA/vtoa.ko" && depmod -a "$rel" ||
	fail "cannot install the kernel-vtoa stand-in"
doctor 0
assert_match "$out" "^✔ the kernel ships its own vtoa \($KDIR_VTOA/vtoa.ko\); the loaded one is this package's$" "doctor: ours loaded"
# the kernel's loaded instead of ours (as after a boot that loads it)
r=$(vtoa unload 2>&1) || fail "vtoa unload: $r"
insmod "$KDIR_VTOA/vtoa.ko" || fail "insmod the kernel-vtoa stand-in"
doctor 1
log "$out"
assert_match "$out" "^✘ the loaded vtoa is the kernel's own \($KDIR_VTOA/vtoa.ko\), not this package's" "doctor: the kernel's loaded"
assert_match "$out" "→ run 'vtoa unload' then 'vtoa load' \(this package's vtoa is in updates/, which depmod prefers\)" "its remedy"
# the remedy works: ours is what 'vtoa load' loads
r=$(vtoa unload 2>&1 && vtoa load 2>&1) || fail "vtoa unload; vtoa load: $r"
[ -e /sys/module/vtoa/parameters/trusted_sources ] || fail "vtoa load loaded the kernel's vtoa, not ours"
doctor 0
assert_match "$out" "^✔ the kernel ships its own vtoa .*; the loaded one is this package's$" "doctor after the remedy"
# without ours in updates/, libkmod resolves vtoa to the kernel's
r=$(vtoa unload 2>&1) || fail "vtoa unload: $r"
mv "$ours" "$ours.away" && depmod -a "$rel" || fail "cannot move $ours away"
doctor 1
log "$out"
assert_match "$out" "^✘ the kernel ships its own vtoa and libkmod resolves 'vtoa' to it \($KDIR_VTOA/vtoa.ko\)" "doctor: libkmod finds the kernel's"
assert_match "$out" "→ run 'vtoa install' \(DKMS installs this package's vtoa into updates/" "its remedy"
mv "$ours.away" "$ours" && rm -rf "$KDIR_VTOA" && depmod -a "$rel" || fail "cannot restore $ours"
r=$(vtoa load 2>&1) || fail "vtoa load: $r"
clean "after the kernel's vtoa is gone"

# 6. the table full: max_entries = 1, two TOA connections kept open; the
#    second one's application sees the proxy
peer_setup
server_start --v4 8098
param max_entries 1
for p in 49611 49612; do
	toa-peer conn --src 192.0.2.2 --dst 192.0.2.1:8098 --sport $p --ack-opt "fe08 10e1 c6336407" --close keep >/dev/null ||
		fail "TOA connection from port $p failed"
done
assert_eq "$(stat toa_over_cap)" 1 "toa_over_cap"
# the end-to-end test's own connection (in its private namespace) finds
# the table full as well: ✘, exit 1
doctor 1
log "$out"
assert_match "$out" "^✘ end to end: a crafted TOA connection does not get the client's address \(.*getpeername\(\)" "doctor: end to end with the table full"
assert_match "$out" "^! connections with a TOA got the proxy's address: toa_over_cap=1 \(max_entries = 1 open TOA connections reached\)$" "doctor: lost to the cap"
assert_match "$out" "→ raise max_entries in /etc/vtoa/vtoa.conf, then 'vtoa reload'$" "its remedy"
server_stop
r=$(vtoa unload 2>&1 && vtoa load 2>&1) || fail "vtoa unload; vtoa load: $r"
clean "after a fresh load"
