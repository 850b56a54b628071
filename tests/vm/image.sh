#!/usr/bin/env bash
# Build (once) and cache the Debian 12 guest images of the VM bench.
#
#   tests/vm/image.sh [--flavour F]           build if needed, print "image: cached <dir>" or "image: built <dir>"
#   tests/vm/image.sh [--flavour F] --print   only print the cache dir the current inputs map to
#
# Flavours:
#   base     (default) what tests/vm/run boots with init=/sbin/vtoa-test-init:
#            minbase + kmod iproute2 procps nginx-light curl + the kernel
#   F        anything else: tests/vm/image-F.sh (sourced) sets PACKAGES, IMG_SIZE and
#            defines flavour_setup, run in the chroot after the kernel is installed;
#            e.g. systemd (tests/vm/image-systemd.sh, for tests/vm/pkg-test)
#
# Output dir: ${VTOA_CACHE:-$HOME/.cache/vtoa}/images/<key>/{root.img,vmlinuz,initrd.img}
# (flavour F: images/F-<key>/); key = hash(this script + KVER + package list [+ image-F.sh]).
# Needs root (debootstrap, chroot, mount). The two most recently used keys of each
# flavour are kept. The Debian mirror is taken from the host's apt configuration
# (override: VTOA_MIRROR).
set -euo pipefail

FLAVOUR=base
PRINT=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --print) PRINT=1; shift ;;
        --flavour) [[ $# -ge 2 ]] || { echo "image.sh: --flavour wants base|systemd" >&2; exit 2; }; FLAVOUR=$2; shift 2 ;;
        --flavour=*) FLAVOUR=${1#*=}; shift ;;
        *) echo "image.sh: unknown argument '$1' (usage: image.sh [--flavour base|systemd] [--print])" >&2; exit 2 ;;
    esac
done

SUITE=bookworm
PACKAGES="kmod iproute2 procps nginx-light curl"
IMG_SIZE=1536M
PREFIX=
FLAVOUR_FILE=
if [[ $FLAVOUR != base ]]; then
    [[ $FLAVOUR =~ ^[a-z0-9]+$ ]] || { echo "image.sh: bad flavour name '$FLAVOUR'" >&2; exit 2; }
    FLAVOUR_FILE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/image-$FLAVOUR.sh
    [[ -f "$FLAVOUR_FILE" ]] || { echo "image.sh: unknown flavour '$FLAVOUR' (no $FLAVOUR_FILE)" >&2; exit 2; }
    PREFIX=$FLAVOUR-
    # shellcheck disable=SC1090
    . "$FLAVOUR_FILE"      # sets PACKAGES, IMG_SIZE; defines flavour_setup
fi

die() { echo "image.sh: error: $*" >&2; exit 1; }
log() { echo "image.sh: $*" >&2; }

if [[ -z "${KVER:-}" ]]; then
    KVER=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n1 | sed 's|.*/linux-headers-||') || true
fi
[[ -n "${KVER:-}" ]] || die "no /usr/src/linux-headers-*-amd64 and KVER not set (apt-get install linux-headers-amd64)"

CACHE=${VTOA_CACHE:-$HOME/.cache/vtoa}
IMAGES=$CACHE/images
SELF=$(readlink -f "${BASH_SOURCE[0]}")
if [[ $FLAVOUR == base ]]; then
    KEY=$( { cat "$SELF"; echo "KVER=$KVER"; echo "PACKAGES=$PACKAGES"; } | sha256sum | cut -c1-16)
else
    KEY=$( { cat "$SELF"; echo "KVER=$KVER"; echo "PACKAGES=$PACKAGES"; cat "$FLAVOUR_FILE"; } | sha256sum | cut -c1-16)
fi
OUT=$IMAGES/$PREFIX$KEY

if (( PRINT )); then echo "$OUT"; exit 0; fi

# rm -rf a build dir, but never through a mount left inside it (a bind-mounted
# /dev of a killed build!): unmount those first, and keep the dir if that fails.
safe_rm_tree() {
    local d m left
    d=$(readlink -f "$1") || return 0
    [[ -d "$d" ]] || return 0
    while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done < <(awk -v p="$d/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r)
    left=$(awk -v p="$d/" 'index($2, p) == 1' /proc/self/mounts)
    if [[ -n "$left" ]]; then
        log "warning: not removing $d, still mounted inside: $left"
        return 0
    fi
    rm -rf --one-file-system -- "$d"
}

is_complete() { [[ -f "$1/root.img" && -f "$1/vmlinuz" && -f "$1/initrd.img" && -f "$1/.complete" ]]; }

# Keep the newest 2 image keys of this flavour (by mtime; using an image touches it).
# base images are images/<16 hex>, the others images/<flavour>-<16 hex>.
prune_old() {
    local d n=0 re='^[0-9a-f]{16}$'
    [[ -n "$PREFIX" ]] && re="^$PREFIX[0-9a-f]{16}\$"
    while IFS= read -r d; do
        [[ ${d##*/} =~ $re ]] || continue
        n=$((n + 1))
        if (( n > 2 )) && [[ "$d" != "$OUT" ]]; then
            log "removing old image $d"
            safe_rm_tree "$d"
        fi
    done < <(ls -1dt "$IMAGES"/*/ 2>/dev/null | sed 's|/$||' || true)   # (*/ skips .tmp.*)
    # stale temp dirs of interrupted builds (we hold the lock, nobody else is building)
    for d in "$IMAGES"/.tmp.*; do [[ -e "$d" ]] && safe_rm_tree "$d"; done
    return 0
}

if is_complete "$OUT"; then
    touch "$OUT"
    echo "image: cached $OUT"
    exit 0
fi

[[ $(id -u) -eq 0 ]] || die "building the guest image needs root (debootstrap/chroot); run as root once, it is cached in $IMAGES"
for t in debootstrap mkfs.ext4 chroot flock sha256sum; do
    command -v "$t" >/dev/null || die "missing tool $t"
done

mkdir -p "$IMAGES"
exec 9>"$IMAGES/.lock"
if ! flock -n 9; then
    log "another image build holds $IMAGES/.lock, waiting..."
    flock 9
fi
if is_complete "$OUT"; then     # built by the other run while we waited
    touch "$OUT"
    echo "image: cached $OUT"
    exit 0
fi

# ---------------------------------------------------------------- apt sources of the host
# host_apt_entries: "URI SUITE" for every enabled "deb" entry of the host that
# has component main (tests/vm/apt.sh, shared with matrix and rpm-test)
# shellcheck source=tests/vm/apt.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/apt.sh"

ENTRIES=$(host_apt_entries)
MIRROR=${VTOA_MIRROR:-$(awk -v s="$SUITE" '$2 == s { print $1; exit }' <<<"$ENTRIES")}
[[ -n "$MIRROR" ]] || die "no apt source for '$SUITE main' in /etc/apt/sources.list{,.d/*} (set VTOA_MIRROR=<debian mirror URI>)"
# sources for the guest: bookworm, bookworm-updates, bookworm-security (the kernel
# image matching the headers usually lives in -security or -updates)
GUEST_SOURCES=$(awk -v s="$SUITE" '$2 == s || $2 == s "-updates" || $2 == s "-security" { print "deb " $1 " " $2 " main" }' <<<"$ENTRIES")
[[ -n "${VTOA_MIRROR:-}" ]] && GUEST_SOURCES=$(printf 'deb %s %s main\n%s\n' "$VTOA_MIRROR" "$SUITE" "$GUEST_SOURCES")

# honour an apt proxy configured on the host (debootstrap uses wget, which reads http_proxy)
APT_PROXY=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -n1 || true)
if [[ -n "$APT_PROXY" && -z "${http_proxy:-}" ]]; then export http_proxy=$APT_PROXY; fi

# ---------------------------------------------------------------- build
TMP=$(mktemp -d "$IMAGES/.tmp.XXXXXX")
chmod 755 "$TMP"
ROOT=$TMP/root
MOUNTS=()
cleanup() {
    local i
    for (( i = ${#MOUNTS[@]} - 1; i >= 0; i-- )); do
        umount -l "${MOUNTS[$i]}" 2>/dev/null || true
    done
    safe_rm_tree "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

T0=$(date +%s)
log "building image $PREFIX$KEY (flavour $FLAVOUR) for kernel $KVER (mirror $MIRROR) in $TMP"
mkdir -p "$ROOT"
if ! debootstrap --variant=minbase --include="${PACKAGES// /,}" "$SUITE" "$ROOT" "$MIRROR" >"$TMP/debootstrap.log" 2>&1; then
    tail -n 30 "$TMP/debootstrap.log" >&2
    [[ -f "$ROOT/debootstrap/debootstrap.log" ]] && tail -n 30 "$ROOT/debootstrap/debootstrap.log" >&2
    die "debootstrap failed"
fi
log "debootstrap done ($(( $(date +%s) - T0 )) s)"

chroot_mount() {  # type src dst
    mkdir -p "$ROOT$3"
    mount -t "$1" "$2" "$ROOT$3"
    MOUNTS+=("$ROOT$3")
}
chroot_mount proc proc /proc
chroot_mount sysfs sysfs /sys
mount --bind /dev "$ROOT/dev"; MOUNTS+=("$ROOT/dev")
chroot_mount devpts devpts /dev/pts

printf '%s\n' "$GUEST_SOURCES" >"$ROOT/etc/apt/sources.list"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
[[ -n "$APT_PROXY" ]] && printf 'Acquire::http::Proxy "%s";\n' "$APT_PROXY" >"$ROOT/etc/apt/apt.conf.d/99vtoa-proxy"
# no daemons are started by package scripts
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"; chmod 755 "$ROOT/usr/sbin/policy-rc.d"
# initramfs: initramfs-tools' default MODULES=most carries virtio_blk/virtio_pci/ext4
# (checked below after the kernel is installed)

in_chroot() { LC_ALL=C DEBIAN_FRONTEND=noninteractive chroot "$ROOT" "$@"; }
in_chroot apt-get update -q >"$TMP/apt.log" 2>&1 || { tail -n 30 "$TMP/apt.log" >&2; die "apt-get update in chroot failed"; }
# Prefer the exact package version of the host headers (same ABI either way).
HDR_VER=$(dpkg-query -W -f '${Version}' "linux-headers-$KVER" 2>/dev/null || true)
KPKG="linux-image-$KVER"
if [[ -n "$HDR_VER" ]] && in_chroot apt-cache madison "$KPKG" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -qxF "$HDR_VER"; then
    KPKG="$KPKG=$HDR_VER"
fi
log "installing $KPKG"
if ! in_chroot apt-get install -y -q --no-install-recommends "$KPKG" >>"$TMP/apt.log" 2>&1; then
    tail -n 30 "$TMP/apt.log" >&2
    die "installing linux-image-$KVER in the chroot failed (is it in the archive the host headers came from?)"
fi
[[ -f "$ROOT/lib/modules/$KVER/kernel/drivers/net/tun.ko" || -n "$(find "$ROOT/lib/modules/$KVER" -name 'tun.ko*' -print -quit)" ]] \
    || die "tun.ko missing from /lib/modules/$KVER in the image"
log "kernel installed ($(( $(date +%s) - T0 )) s)"

if [[ -n "$FLAVOUR_FILE" ]]; then
    flavour_setup
    log "flavour $FLAVOUR set up ($(( $(date +%s) - T0 )) s)"
fi

# nginx must not start at boot (nothing starts anyway: our init is not systemd)
rm -f "$ROOT"/etc/rc?.d/S*nginx* "$ROOT/etc/systemd/system/multi-user.target.wants/nginx.service"

# PID 1 of the guest: mount the basics + the payload disk, hand over to /vtoa/guest-init.sh
cat >"$ROOT/sbin/vtoa-test-init" <<'EOF'
#!/bin/sh
# vtoa guest init (PID 1). Mounts the basics and the payload disk /dev/vdb at /vtoa,
# then execs /vtoa/guest-init.sh. On any failure prints VTOA-INIT-FAILED and powers off.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
fatal() {
    echo "VTOA-INIT-FAILED: $*" >/dev/console 2>/dev/null || echo "VTOA-INIT-FAILED: $*"
    echo "VTOA-INIT-FAILED: $*" >/dev/ttyS1 2>/dev/null
    sync
    echo o >/proc/sysrq-trigger
    sleep 30
    exit 1     # PID 1 exiting panics; with panic=-1 -no-reboot qemu exits anyway
}
is_mounted() { grep -q "^[^ ]* $1 " /proc/self/mounts 2>/dev/null; }
mnt() { # type dev dir [opts]
    is_mounted "$3" && return 0
    mkdir -p "$3" 2>/dev/null
    mount -t "$1" ${4:+-o "$4"} "$2" "$3" || fatal "mount $1 on $3"
}
mnt proc proc /proc
mnt sysfs sysfs /sys
mnt devtmpfs devtmpfs /dev
mount -o remount,rw / || fatal "remount / rw"      # root disk runs with snapshot=on
mnt tmpfs tmpfs /tmp mode=1777
mnt tmpfs tmpfs /run mode=755
mkdir -p /dev/pts /dev/shm /run/lock /var/log/nginx /var/lib/nginx
mnt devpts devpts /dev/pts
mnt tmpfs tmpfs /dev/shm mode=1777
hostname vtoa-guest 2>/dev/null || echo vtoa-guest >/proc/sys/kernel/hostname
ip link set lo up 2>/dev/null
i=0
while [ ! -b /dev/vdb ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/vdb ] || fatal "no payload disk /dev/vdb"
mnt ext4 /dev/vdb /vtoa
[ -f /vtoa/guest-init.sh ] || fatal "no /vtoa/guest-init.sh on the payload disk"
exec /bin/sh /vtoa/guest-init.sh
fatal "exec /vtoa/guest-init.sh"
EOF
chmod 755 "$ROOT/sbin/vtoa-test-init"
mkdir -p "$ROOT/vtoa"

# drop build-time-only config, caches and docs
rm -f "$ROOT/usr/sbin/policy-rc.d" "$ROOT/etc/apt/apt.conf.d/99vtoa-proxy"
: >"$ROOT/etc/resolv.conf"
in_chroot apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/locale/*
echo vtoa-guest >"$ROOT/etc/hostname"

# the guest kernel + initramfs, checked for the drivers needed to reach the root disk
cp -L "$ROOT/boot/vmlinuz-$KVER" "$TMP/vmlinuz"
cp -L "$ROOT/boot/initrd.img-$KVER" "$TMP/initrd.img"
if command -v lsinitramfs >/dev/null; then
    list=$(lsinitramfs "$TMP/initrd.img")
else
    list=$(in_chroot lsinitramfs "/boot/initrd.img-$KVER")
fi
for m in virtio_blk virtio_pci ext4; do
    grep -q "/$m\.ko" <<<"$list" || die "initramfs lacks $m.ko"
done

for (( i = ${#MOUNTS[@]} - 1; i >= 0; i-- )); do umount "${MOUNTS[$i]}" || umount -l "${MOUNTS[$i]}"; done
MOUNTS=()

mkfs.ext4 -q -F -L vtoa-root -d "$ROOT" "$TMP/root.img" "$IMG_SIZE" >"$TMP/mkfs.log" 2>&1 \
    || { cat "$TMP/mkfs.log" >&2; die "mkfs.ext4 -d failed"; }
{ echo "key=$KEY"; echo "kver=$KVER"; echo "kpkg=$KPKG"; echo "flavour=$FLAVOUR"; echo "packages=$PACKAGES"; echo "mirror=$MIRROR"; date -u +built=%FT%TZ; } >"$TMP/info"
safe_rm_tree "$ROOT"
touch "$TMP/.complete"
safe_rm_tree "$OUT"       # incomplete leftovers, if any
mv -T "$TMP" "$OUT"      # atomic: a half-built image is never at $OUT
prune_old
echo "image: built $OUT ($(( $(date +%s) - T0 )) s)"
