# Helpers for tests/vm/rpm/tests/*.sh (sh), on top of lib.sh and pkg/pkglib.sh.
# Source with:  . "$VTOA_LIB"; . "$VTOA_PKGLIB"; . "$VTOA_PKGDIR/rpmlib.sh"
#
#   R1, R2       the directories of the release-1 (out/) and upgrade RPMs in the guest
#   DEB          the vtoa_*_amd64.deb of out/, for 4-deb-binary
#   RPMOPT       what rpm needs on Debian to install/erase at all: --nodeps, because
#                Debian's rpm database knows none of the EL packages the RPMs
#                require (dkms, kernel-devel, gcc, make, systemd, glibc...: here
#                they are Debian packages), and --force-debian where Debian's rpm
#                has it (without it, it refuses to touch packages: "use Alien")
#   rpms DIR     the two RPMs in DIR: vtoa-dkms first, then vtoa
#   KO           where DKMS installs vtoa.ko for the running kernel
#   ours_loaded  the loaded vtoa is DKMS's (srcversion of $KO), not a kernel's
#   loader_error TEXT   true if TEXT is the dynamic loader's complaint
# (lib.sh's `stat NAME` is the module's counter: files are `command stat -c ...`)
#   dkms_build_time     log how long DKMS's make ran (make.log: its start on line 2,
#                       its end ≈ the file's mtime: DKMS copies it to log/ when done)

R1=/root/vtoa-rpms/1
R2=/root/vtoa-rpms/2
DEB=$(ls /root/vtoa-deb/vtoa_*_amd64.deb 2>/dev/null | head -n1)
RPMOPT=--nodeps
rpm --help 2>&1 | grep -q -- --force-debian && RPMOPT="$RPMOPT --force-debian"
KO=/lib/modules/$(uname -r)/updates/dkms/vtoa.ko

rpms() { ls "$1"/vtoa-dkms-*.noarch.rpm; ls "$1"/vtoa-[0-9]*.x86_64.rpm; }

ours_loaded() {
    vtoa_loaded || fail "module vtoa is not loaded"
    [ -f "$KO" ] || fail "$KO missing"
    assert_eq "$(cat /sys/module/vtoa/srcversion)" "$(modinfo -F srcversion "$KO")" "srcversion of the loaded module vs $KO"
    [ -e /sys/module/vtoa/parameters/trusted_sources ] || fail "the loaded vtoa has no trusted_sources parameter (not this package's)"
}

loader_error() {
    printf '%s\n' "$1" | grep -Eq 'GLIBC(XX)?_[0-9.]+. not found|error while loading shared libraries|cannot execute binary file'
}

dkms_build_time() {
    _ml=$(ls -t /var/lib/dkms/vtoa/*/"$(uname -r)"/*/log/make.log /var/lib/dkms/vtoa/*/build/make.log 2>/dev/null | head -n1)
    [ -n "$_ml" ] || { log "DKMS build: no make.log"; return 0; }
    _t0=$(sed -n 2p "$_ml" | xargs -I{} date -d {} +%s 2>/dev/null)
    [ -n "$_t0" ] || { log "DKMS build: no start time in $_ml"; return 0; }
    log "DKMS build took $(( $(command stat -c %Y "$_ml") - _t0 ))s ($_ml)"
}
