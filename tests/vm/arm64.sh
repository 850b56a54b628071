# arm64 guests for tests/vm/matrix --arch arm64 (sourced by the matrix; bash).
# After arm64_fetch/arm64_build of kernel K: Debian's linux-image-X-arm64 of
# the same suite, an arm64 userland from Debian's arm64 packages (busybox-static,
# dash, iproute2, util-linux's dmesg, coreutils' timeout, curl, with their shared
# libraries), the test programs cross-built static with aarch64-linux-gnu-gcc
# (toa-writer against arm64 libbpf/libelf/zlib/libzstd .a from the same archive),
# a busybox initramfs laid out as the amd64 one, and qemu-system-aarch64
# -machine virt -cpu max (TCG). The virt machine has one UART (ttyAMA0, the
# console); the results protocol goes to a virtio console, /dev/hvc0
# (virtio-serial-pci, not a network device). Never changes the host's dpkg
# architectures: apt_use ... arm64 is a private apt state.
#
#   arm64_image_fetch     sets AKROOT (boot/vmlinuz-X-arm64, the guest modules)
#   arm64_userland_fetch  sets AUSER (an extracted arm64 Debian userland)
#   arm64_devlibs_fetch   sets ASYS (arm64 libbpf/libelf/zlib/libzstd -dev, extracted)
#   arm64_progs           sets ABIN (toa-peer, toa-server, toa-writer for aarch64, static)
#   arm64_boot K          the whole guest run; a K/arm64 row in ROWS
# shellcheck shell=bash

# the userland's Debian packages (their Depends/Pre-Depends follow); curl
# for 93-toa-writer-wire
ARM64_DEBS="busybox-static dash iproute2 util-linux coreutils curl"
# toa-writer's static libraries and headers (the packages alone, not their
# dependencies: the cross toolchain's libc6-dev-arm64-cross has the rest)
ARM64_DEV_DEBS="libbpf-dev libelf-dev zlib1g-dev libzstd-dev"
# the guest modules: the amd64 guest's, plus the virtio console for the
# results (6.1's arm64 kernel has virtio_pci and virtio_console as modules,
# 6.12's built in); extracted: all of drivers/virtio (virtio_pci's helpers)
ARM64_GUEST_MODULES="$GUEST_MODULES drivers/virtio/virtio_pci drivers/char/virtio_console"
ARM64_EXTRACT="$GUEST_MODULES drivers/virtio/[a-z0-9_]+ drivers/char/virtio_console"
# the binaries copied into the guest's /usr/local/bin (HOST_BINS)
ARM64_BINS="dash ip ss dmesg timeout tc curl"
# guest programs the amd64 guest has and the arm64 one lacks, and why
# (tests needing them are skipped with that reason); none today
declare -A ARM64_WHY_MISSING=()

arm64_image_fetch() {
    local arel=${KREL%-amd64}-arm64 dir tmp deb
    dir=$CACHE/kernels/$arel/image
    AKROOT=$dir/root
    exec 9>"$CACHE/kernels/.lock"
    flock 9
    if [[ -f "$dir/.complete" && $(<"$dir/.complete") == "modules=$ARM64_EXTRACT" ]]; then exec 9>&-; return 0; fi
    say "$KREL: fetching linux-image-$arel (arm64)"
    apt_use "$KSUITE" arm64
    rm -rf "$dir"
    tmp=$(mktemp -d "$CACHE/kernels/.tmp.XXXXXX")
    apt_download "$tmp/debs" "linux-image-$arel:arm64"
    deb=$(ls "$tmp"/debs/linux-image-"$arel"_*.deb)
    dpkg-deb -c "$deb" | awk '{ print $NF }' | grep -E "^\./(usr/)?(boot/vmlinuz-|lib/modules/[^/]+/(modules\.builtin|modules\.order|kernel/($(tr ' ' '|' <<<"$ARM64_EXTRACT"))\.ko))" >"$tmp/want" || true
    grep -q 'boot/vmlinuz-' "$tmp/want" || die "$arel: $deb has no boot/vmlinuz-*"
    mkdir -p "$tmp/root"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/root" -T "$tmp/want"
    if [[ -d "$tmp/root/usr/lib/modules" && ! -e "$tmp/root/lib/modules" ]]; then
        mkdir -p "$tmp/root/lib" && mv "$tmp/root/usr/lib/modules" "$tmp/root/lib/modules"
    fi
    if [[ -d "$tmp/root/usr/boot" && ! -e "$tmp/root/boot" ]]; then mv "$tmp/root/usr/boot" "$tmp/root/boot"; fi
    find "$tmp/root/lib/modules" -name '*.ko.xz' -exec xz -d {} +
    find "$tmp/root/lib/modules" -name '*.ko.zst' -exec zstd -q -d --rm {} +
    depmod -b "$tmp/root" "$arel"
    rm -rf "$tmp/debs" "$tmp/want"
    echo "modules=$ARM64_EXTRACT" >"$tmp/.complete"
    mkdir -p "$(dirname "$dir")"
    mv -T "$tmp" "$dir"
    exec 9>&-
}

# the arm64 userland: bookworm's (the host's suites), for every kernel (a
# backports suite has no libc6; the amd64 guest copies the host's binaries too)
arm64_userland_fetch() {
    local dir pkgs tmp deb
    dir=$CACHE/arm64-userland/host
    AUSER=$dir/root
    mkdir -p "$CACHE/arm64-userland"
    exec 9>"$CACHE/arm64-userland/.lock"
    flock 9
    if [[ -f "$dir/.complete" && $(<"$dir/.complete") == "$ARM64_DEBS" ]]; then exec 9>&-; return 0; fi
    say "fetching the arm64 userland ($ARM64_DEBS and their dependencies) from the host's bookworm suites"
    apt_use host arm64
    rm -rf "$dir"
    tmp=$(mktemp -d "$CACHE/arm64-userland/.tmp.XXXXXX")
    # shellcheck disable=SC2086
    pkgs=$(apt-cache "${APTO[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
               --no-breaks --no-replaces --no-enhances $ARM64_DEBS |
           awk '/^[a-z0-9]/ && $1 !~ /^</ { print $1 }' | sed 's/:arm64$//' | sort -u)
    # shellcheck disable=SC2086
    apt_download "$tmp/debs" $(sed 's/$/:arm64/' <<<"$pkgs")
    for deb in "$tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
    rm -rf "$tmp/debs"
    echo "$ARM64_DEBS" >"$tmp/.complete"
    mv -T "$tmp" "$dir"
    exec 9>&-
}

# arm64_devlibs_fetch: bookworm's arm64 libbpf-dev, libelf-dev, zlib1g-dev and
# libzstd-dev extracted into a sysroot (headers, static libraries) for
# toa-writer; sets ASYS
arm64_devlibs_fetch() {
    local dir tmp deb
    dir=$CACHE/arm64-userland/devlibs
    ASYS=$dir/root
    mkdir -p "$CACHE/arm64-userland"
    exec 9>"$CACHE/arm64-userland/.lock"
    flock 9
    if [[ -f "$dir/.complete" && $(<"$dir/.complete") == "$ARM64_DEV_DEBS" ]]; then exec 9>&-; return 0; fi
    say "fetching toa-writer's arm64 libraries ($ARM64_DEV_DEBS) from the host's bookworm suites"
    apt_use host arm64
    rm -rf "$dir"
    tmp=$(mktemp -d "$CACHE/arm64-userland/.tmp.XXXXXX")
    # shellcheck disable=SC2046
    apt_download "$tmp/debs" $(sed 's/\([^ ]*\)/\1:arm64/g' <<<"$ARM64_DEV_DEBS")
    for deb in "$tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
    rm -rf "$tmp/debs"
    for deb in libbpf libelf libz libzstd; do
        [[ -f "$tmp/root/usr/lib/aarch64-linux-gnu/$deb.a" ]] || die "arm64 dev packages: no usr/lib/aarch64-linux-gnu/$deb.a in $tmp/root"
    done
    echo "$ARM64_DEV_DEBS" >"$tmp/.complete"
    mv -T "$tmp" "$dir"
    exec 9>&-
}

# arm64_progs: toa-peer, toa-server and toa-writer for aarch64 (static), in
# $RUN/arm64-bin (toa-writer's BPF object is built for -target bpf, as on amd64)
arm64_progs() {
    local p
    ABIN=$RUN/arm64-bin
    [[ -x "$ABIN/toa-peer" && -x "$ABIN/toa-server" && -x "$ABIN/toa-writer" ]] && return 0
    arm64_devlibs_fetch
    mkdir -p "$ABIN"
    make -C "$HERE/src" CC=aarch64-linux-gnu-gcc BINDIR="$ABIN" KVER= TW_SYSROOT="$ASYS" \
        "$ABIN/toa-peer" "$ABIN/toa-server" "$ABIN/toa-writer" >"$RUN/arm64-progs.log" 2>&1 ||
        { tail -n 20 "$RUN/arm64-progs.log" >&2; die "cross-building toa-peer/toa-server/toa-writer for arm64 failed ($RUN/arm64-progs.log)"; }
    for p in toa-peer toa-server toa-writer; do
        file "$ABIN/$p" | grep -q 'ARM aarch64.*statically linked' || die "$ABIN/$p: $(file -b "$ABIN/$p")"
    done
    # the eBPF program is architecture-independent: the same object as amd64's
    if [[ -f "$HERE/bin/toa-writer.bpf.o" ]] && ! cmp -s "$ABIN/toa-writer.bpf.o" "$HERE/bin/toa-writer.bpf.o"; then
        die "$ABIN/toa-writer.bpf.o differs from tests/vm/bin/toa-writer.bpf.o: the eBPF object must not depend on the target architecture"
    fi
}

# arm64_copy_bin DEST PATH-IN-AUSER: a binary and its shared libraries
# (DT_NEEDED, recursively, found in the arm64 userland) into DEST
arm64_copy_bin() {
    local dest=$1 bin=$2 todo lib l p d
    install -D -m 755 "$AUSER$bin" "$dest/usr/local/bin/${bin##*/}"
    todo=("$AUSER$bin")
    while [[ ${#todo[@]} -gt 0 ]]; do
        p=${todo[0]}; todo=("${todo[@]:1}")
        for lib in $(aarch64-linux-gnu-readelf -d "$p" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            [[ -e "$dest/lib/aarch64-linux-gnu/$lib" ]] && continue
            l=
            for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
                if [[ -e "$AUSER/$d/$lib" ]]; then l=$AUSER/$d/$lib; break; fi
            done
            [[ -n "$l" ]] || die "arm64 userland: $lib (for $bin) not found in $AUSER"
            install -D -m 755 "$(readlink -f "$l")" "$dest/lib/aarch64-linux-gnu/$lib"
            todo+=("$l")
        done
    done
    return 0
}

# arm64_initramfs OUT KO SUITE_FILES...: as make_initramfs, for the arm64 guest
arm64_initramfs() {
    local out=$1 ko=$2 ir m f b arel=${KREL%-amd64}-arm64 ld
    shift 2
    ir=$(mktemp -d "$RUN/.initramfs.XXXXXX")
    mkdir -p "$ir"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,proc,sys,dev,tmp,run,root,lib}
    mknod -m 600 "$ir/dev/console" c 5 1
    mknod -m 666 "$ir/dev/null" c 1 3
    install -m 755 "$AUSER/bin/busybox" "$ir/bin/busybox"
    install -m 755 "$HERE/initramfs/init" "$ir/init"
    for b in $ARM64_BINS; do
        f=
        for d in bin sbin usr/bin usr/sbin; do
            if [[ -e "$AUSER/$d/$b" ]]; then f=/$d/$b; break; fi
        done
        [[ -n "$f" ]] || die "arm64 userland has no $b"
        arm64_copy_bin "$ir" "$f"
    done
    ld=$(ls "$AUSER"/lib/ld-linux-aarch64.so.1 "$AUSER"/usr/lib/ld-linux-aarch64.so.1 2>/dev/null | head -n1 || true)
    [[ -n "$ld" ]] || die "arm64 userland: no ld-linux-aarch64.so.1"
    install -m 755 "$(readlink -f "$ld")" "$ir/lib/ld-linux-aarch64.so.1"
    # iproute2 reads its tables from /usr/share/iproute2 (falls back to built-ins)
    mkdir -p "$ir/lib/modules/$arel"
    (cd "$AKROOT/lib/modules/$arel" && cp --parents modules.builtin modules.builtin.modinfo modules.order "$ir/lib/modules/$arel/" 2>/dev/null; \
     find kernel -name '*.ko' -exec cp --parents {} "$ir/lib/modules/$arel/" \;)
    depmod -b "$ir" "$arel"
    for m in $ARM64_GUEST_MODULES; do
        m=${m##*/}
        modprobe -d "$ir" -S "$arel" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" { print $2 }' ||
            die "$arel: module $m missing from the image"
    done | sed "s|^$ir/lib/modules/$arel/||" | awk '!seen[$0]++' >"$ir/etc/vtoa-modules"
    mkdir -p "$ir/vtoa/bin" "$ir/vtoa/suite"
    cp "$ko" "$ir/vtoa/vtoa.ko"
    [[ ! -f "${ko%.ko}-fault.ko" ]] || cp "${ko%.ko}-fault.ko" "$ir/vtoa/vtoa-fault.ko"
    cp "$HERE/guest-init.sh" "$HERE/lib.sh" "$ir/vtoa/"
    for f in "$@"; do cp "$f" "$ir/vtoa/suite/"; done
    cp "$ABIN/toa-peer" "$ABIN/toa-server" "$ABIN/toa-writer" "$ir/vtoa/bin/"
    { echo "VTOA_KMOD_NAME=vtoa"; echo "VTOA_TEST_TIMEOUT=${VTOA_TEST_TIMEOUT:-300}"; echo "VTOA_RESULTS_TTY=/dev/hvc0"; } >"$ir/vtoa/env"
    (cd "$ir" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$out"
    rm -rf -- "$ir"
}

# arm64_boot K: after arm64_build K (the cross-built $L/kmod-arm64/vtoa.ko)
arm64_boot() {
    local k=$1 p0=$PASSED f0=$FAILED n0=${#FAILS[@]} t0 t_fetch t_build arel=${KREL%-amd64}-arm64
    local AL=$L/arm64 fb files=() expected=() f base name lacks c i kp kf hooks line
    t0=$(date +%s)
    arm64_image_fetch
    arm64_userland_fetch
    arm64_progs
    t_fetch=$(( $(date +%s) - t0 ))
    mkdir -p "$AL"
    t0=$(date +%s)
    if [[ ! -f "$L/kmod-arm64/vtoa.ko" ]] || ! file "$L/kmod-arm64/vtoa.ko" | grep -q 'ARM aarch64'; then
        echo "FAIL $k/arm64: no cross-built vtoa.ko (see $k/build-arm64)"
        FAILED=$((FAILED + 1)); FAILS+=("$k/arm64")
        ROWS+=("$k/arm64|$arel|build failed|0|1|$t_fetch|0|-")
        return 0
    fi
    cp "$L/kmod-arm64/vtoa.ko" "$AL/vtoa.ko"
    fb=$(PATH="$ACCPATH$PATH" module_build "$L/kmod-arm64-fault" "$L/build-arm64-fault.log" 'warning: the compiler differs from the one used to build the kernel' \
         "${AMAKE[@]}" VTOA_FAULT_INJECT=y)
    if [[ $fb == ok ]]; then
        cp "$L/kmod-arm64-fault/vtoa.ko" "$AL/vtoa-fault.ko"
    else
        say "$k/arm64: the fault-injection build $fb ($L/build-arm64-fault.log): 71-getname-hooks and 89-stale will fail"
    fi
    t_build=$(( $(date +%s) - t0 ))
    # the matrix's suite, minus tests needing what the arm64 guest lacks (said, not silent)
    for f in "${SUITE_FILES[@]}"; do
        base=${f##*/}; name=${base%.sh}
        lacks=
        for c in $(sed -n 's/^[[:space:]]*command -v \([^ >]*\).*/\1/p' "$f"); do
            [[ -z "${ARM64_WHY_MISSING[$c]:-}" ]] || lacks+="${lacks:+; }$c (${ARM64_WHY_MISSING[$c]})"
        done
        if [[ -n "$lacks" ]]; then
            echo "SKIP $k/arm64/$name: needs $lacks"
            ARM64_SKIPPED=$((ARM64_SKIPPED + 1))
            continue
        fi
        files+=("$f"); expected+=("$name")
    done
    arm64_initramfs "$AL/initramfs.img" "$AL/vtoa.ko" "${files[@]}"
    # shellcheck disable=SC2054
    QEMU=(qemu-system-aarch64 -machine virt -accel tcg,thread=${VTOA_ARM64_TCG:-single} -cpu max,pauth-impdef=on -m 1024 -smp 2
          -nographic -nic none -no-reboot -monitor none -parallel none
          -kernel "$AKROOT/boot/vmlinuz-$arel" -initrd "$AL/initramfs.img"
          -append "${APPEND/console=ttyS0/console=ttyAMA0}"
          -serial "file:$AL/console.log"
          -chardev "file,id=results,path=$AL/results.log" -device virtio-serial-pci -device virtconsole,chardev=results)
    # shellcheck disable=SC2206
    [[ -n "${VTOA_QEMU_EXTRA_ARM64:-}" ]] && QEMU+=($VTOA_QEMU_EXTRA_ARM64)
    printf '%q ' "${QEMU[@]}" >"$AL/qemu.cmd"; echo >>"$AL/qemu.cmd"
    : >"$AL/console.log"; : >"$AL/results.log"
    say "$k/arm64: booting $arel (qemu-system-aarch64 -machine virt -cpu max, TCG), timeout ${TIMEOUT}s, ${#expected[@]} tests"
    # shellcheck disable=SC2034
    T0=$(date +%s)
    "${QEMU[@]}" </dev/null >"$AL/qemu.log" 2>&1 &
    QPID=$!
    # shellcheck disable=SC2034
    VM_LOG=$AL
    vm_results_reset
    vm_wait "$TIMEOUT"
    vm_report_unfinished "${expected[@]}"
    vm_report_guest "$k/arm64/vm" "$TIMEOUT"
    hooks=$(tr -d '\r' <"$AL/console.log" | sed -n 's/^vtoa-hooks: //p' | head -n1)
    say "$k/arm64: hooked functions in /proc/kallsyms: ${hooks:-(not reported)}"
    # how this kernel answers getpeername (ftrace redirect or kretprobes): the module's load line
    line=$(grep -a -m1 -o 'vtoa: [^ ]* loaded (.*' "$AL/.results.txt" 2>/dev/null || true)
    say "$k/arm64: ${line:-no vtoa load line in the results}"
    grep -a -m1 -o 'vtoa: cannot redirect inet_getname.*' "$AL/.results.txt" 2>/dev/null | sed "s|^|matrix: $k/arm64: |" || true
    for (( i = n0; i < ${#FAILS[@]}; i++ )); do [[ ${FAILS[$i]} == "$k/"* ]] || FAILS[i]=$k/arm64/${FAILS[$i]}; done
    kp=$((PASSED - p0)) kf=$((FAILED - f0))
    ROWS+=("$k/arm64|$arel|$( ((kf == 0)) && echo pass || echo FAIL )|$kp|$kf|$t_fetch|$t_build|$ELAPSED")
    return 0
}
