# Flavour "systemd" of the guest image (sourced by tests/vm/image.sh --flavour systemd):
# what tests/vm/pkg-test installs vtoa's .debs into and boots with systemd as PID 1.
# Debian 12 minbase + systemd, dbus, dkms and the headers of the guest kernel (DKMS
# builds the module in the chroot, on the host, when the packages are installed).
# shellcheck shell=bash

# nginx-light: the real server of `make demo` (masked below: the demo starts its own)
PACKAGES="kmod iproute2 procps nginx-light"
IMG_SIZE=2560M
SYSTEMD_PACKAGES="systemd systemd-sysv dbus dkms gcc make openssl"

flavour_setup() {
    # the headers of exactly the guest's kernel, the host's package version when the
    # kernel image was pinned to it
    local hpkg="linux-headers-$KVER" u
    [[ "$KPKG" == *=* ]] && hpkg="$hpkg=${KPKG#*=}"
    log "installing $SYSTEMD_PACKAGES $hpkg"
    # shellcheck disable=SC2086
    if ! in_chroot apt-get install -y -q --no-install-recommends $SYSTEMD_PACKAGES "$hpkg" >>"$TMP/apt.log" 2>&1; then
        tail -n 30 "$TMP/apt.log" >&2
        die "installing $SYSTEMD_PACKAGES $hpkg in the chroot failed"
    fi
    [[ -e "$ROOT/lib/modules/$KVER/build/Makefile" ]] || die "no /lib/modules/$KVER/build/Makefile in the image after installing $hpkg"
    # a machine id, so that the first boot is not a "first boot" (systemd-firstboot)
    if [[ ! -s "$ROOT/etc/machine-id" ]] || grep -qx uninitialized "$ROOT/etc/machine-id"; then
        od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$ROOT/etc/machine-id"
        echo >>"$ROOT/etc/machine-id"
    fi
    # Nobody logs in (no getty on the test console) and nothing periodic starts
    # during a test (the guest has no network either).
    for u in getty.target serial-getty@ttyS0.service apt-daily.timer apt-daily-upgrade.timer \
             e2scrub_all.timer e2scrub_reap.service fstrim.timer dpkg-db-backup.timer \
             man-db.timer systemd-timesyncd.service nginx.service; do
        ln -sfn /dev/null "$ROOT/etc/systemd/system/$u"
    done
    ln -sfn /lib/systemd/system/multi-user.target "$ROOT/etc/systemd/system/default.target"
}
