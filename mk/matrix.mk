# Kernel matrix: the module built against and run on Debian's 5.10
# (bullseye), 6.1 (the host's bookworm headers) and 6.12 (bookworm-backports)
# under qemu, busybox initramfs guests. See tests/vm/README.md ("Kernel matrix").
#   make kernel-matrix                                   all three, amd64 and arm64 guests (--arch all, ~12 min;
#                                                        first run also fetches ~400 MB)
#   make kernel-matrix MATRIX_ARGS="--kernels 5.10 --only '10-*'"
#   make kernel-matrix-arm64                             6.1 and 6.12 arm64 guests (--arch arm64, ~5 min)
# In `make check` for 5.10 and 6.12 (tests/vm/run covers 6.1 there, with the
# full Debian userland); the arm64 modules are built there too
# (kernel-matrix-check cross-builds 5.10's and 6.12's for arm64). The arm64
# guests (kernel-matrix-arm64: 6.1 and 6.12, 401 s in the last clean-clone
# run; 5.10's ~2 min more) are in their own targets since the package test
# grew (the upgrade with systemd running and the signature-enforcing boot:
# ~12 min more of TCG), which would push a fresh .ci/run past 45 minutes.
#   make kernel-matrix-ebpf                              the suite on the eBPF backend on
#                                                        5.10 and 6.12 (6.1: make vm-test-ebpf), ~5 min
# make check runs it on 5.10 only (kernel-matrix-ebpf-check, ~1.5 min:
# Alibaba Cloud Linux 3's kernel series, and the one that differs: no
# getsockopt errors from a program before 5.18); a fresh .ci/run took 43 min
# on a machine busy with other guests, so 6.12's is in kernel-matrix-ebpf.
.PHONY: kernel-matrix kernel-matrix-arm64 kernel-matrix-fetch kernel-matrix-check kernel-matrix-ebpf kernel-matrix-ebpf-check
check: kernel-matrix-check kernel-matrix-ebpf-check
kernel-matrix:
	$(TOP)/tests/vm/matrix --arch all $(MATRIX_ARGS)

kernel-matrix-arm64:
	$(TOP)/tests/vm/matrix --arch arm64 --kernels "6.1 6.12" $(MATRIX_ARGS)

kernel-matrix-fetch:
	$(TOP)/tests/vm/matrix --fetch-only $(MATRIX_ARGS)

kernel-matrix-check:
	$(TOP)/tests/vm/matrix --kernels "5.10 6.12"

kernel-matrix-ebpf:
	$(TOP)/tests/vm/matrix --backend ebpf --kernels "5.10 6.12" $(MATRIX_ARGS)

kernel-matrix-ebpf-check:
	$(TOP)/tests/vm/matrix --backend ebpf --kernels 5.10 $(MATRIX_ARGS)
