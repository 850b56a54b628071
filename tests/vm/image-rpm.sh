# Flavour "rpm" of the guest image (sourced by tests/vm/image.sh --flavour rpm):
# what tests/vm/rpm-test installs vtoa's RPMs into, with rpm itself, and boots
# with systemd as PID 1. Debian 11 (bullseye), the nearest Debian gets to
# Alibaba Cloud Linux 3 (glibc 2.31 vs 2.32, systemd 247 vs 239, rpm 4.16 vs
# 4.14, kernel 5.10 for both): minbase + systemd, dbus, dkms, rpm, gcc, make and
# the headers of the guest kernel, which is bullseye's linux-image-5.10.0-N-amd64.
# KVER must name it (tests/vm/rpm-test picks the newest from the bullseye lists
# of its private apt state, $VTOA_CACHE/apt/bullseye).
# shellcheck shell=bash disable=SC2034   # SUITE, PACKAGES, IMG_SIZE, VTOA_MIRROR: read by image.sh

SUITE=bullseye
PACKAGES="kmod iproute2 procps"
IMG_SIZE=2560M
SYSTEMD_PACKAGES="systemd systemd-sysv dbus dkms rpm gcc make openssl"
if [[ ${KVER:-} != 5.10.0-*-amd64 ]]; then
    echo "image.sh: flavour rpm wants KVER=5.10.0-N-amd64 (bullseye's kernel), got '${KVER:-}' (tests/vm/rpm-test sets it)" >&2
    exit 2
fi
# image.sh takes the mirror from the host's apt entry for "$SUITE main"; a
# bookworm host has none for bullseye: the one serving bookworm main has it.
if [[ -z "${VTOA_MIRROR:-}" ]]; then
    # shellcheck source=tests/vm/apt.sh
    . "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/apt.sh"
    VTOA_MIRROR=$(host_apt_entries | awk '$2 == "bullseye" { print $1; exit }')
    [[ -n "$VTOA_MIRROR" ]] || VTOA_MIRROR=$(host_apt_entries | awk '$2 == "bookworm" { print $1; exit }')
fi

flavour_setup() {
    local u
    log "installing $SYSTEMD_PACKAGES linux-headers-$KVER"
    # shellcheck disable=SC2086
    if ! in_chroot apt-get install -y -q --no-install-recommends $SYSTEMD_PACKAGES "linux-headers-$KVER" >>"$TMP/apt.log" 2>&1; then
        tail -n 30 "$TMP/apt.log" >&2
        die "installing $SYSTEMD_PACKAGES linux-headers-$KVER in the chroot failed"
    fi
    # (build is an absolute symlink: resolved in the chroot)
    in_chroot test -e "/lib/modules/$KVER/build/Makefile" || die "no /lib/modules/$KVER/build/Makefile in the image after installing linux-headers-$KVER"
    # a machine id, so that the first boot is not a "first boot" (systemd-firstboot)
    if [[ ! -s "$ROOT/etc/machine-id" ]] || grep -qx uninitialized "$ROOT/etc/machine-id"; then
        od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$ROOT/etc/machine-id"
        echo >>"$ROOT/etc/machine-id"
    fi
    # an empty rpm database (Debian's rpm does not make one)
    in_chroot rpm --initdb >>"$TMP/apt.log" 2>&1 || die "rpm --initdb in the chroot failed"
    # Nobody logs in and nothing periodic starts during a test (no network either).
    for u in getty.target serial-getty@ttyS0.service apt-daily.timer apt-daily-upgrade.timer \
             e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer \
             systemd-timesyncd.service; do
        ln -sfn /dev/null "$ROOT/etc/systemd/system/$u"
    done
    ln -sfn /lib/systemd/system/multi-user.target "$ROOT/etc/systemd/system/default.target"
}
