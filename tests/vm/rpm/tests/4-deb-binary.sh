# 4. The .deb's vtoa (out/vtoa_*_amd64.deb, unpacked with dpkg-deb -x) on this
#    older userland (bullseye: glibc 2.31): --version and doctor run, no loader
#    error ("GLIBC_2.34 not found").
. "$VTOA_LIB"; . "$VTOA_PKGLIB"; . "$VTOA_PKGDIR/rpmlib.sh"
[ -n "$DEB" ] || fail "no /root/vtoa-deb/vtoa_*_amd64.deb"
run dpkg-deb -x "$DEB" "$TMPDIR/deb" || fail "dpkg-deb -x $DEB"
bin=$TMPDIR/deb/usr/sbin/vtoa
run ldd "$bin"
out=$("$bin" --version 2>&1); rc=$?
log "vtoa --version: $out (exit $rc)"
loader_error "$out" && fail "the .deb's vtoa does not start here: $out"
assert_eq "$rc" 0 "exit status of the .deb's vtoa --version"
out=$("$bin" doctor 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/    /'
loader_error "$out" && fail "the .deb's vtoa doctor does not start here: $out"
assert_eq "$rc" 0 "exit status of the .deb's vtoa doctor"
