# Kernel matrix: the module built against and run on Debian's 5.10
# (bullseye), 6.1 (the host's bookworm headers) and 6.12 (bookworm-backports)
# under qemu, busybox initramfs guests. See tests/vm/README.md ("Kernel matrix").
#   make kernel-matrix                                   all three (~3 min; first run also fetches ~250 MB)
#   make kernel-matrix MATRIX_ARGS="--kernels 5.10 --only '10-*'"
# Not part of `make check` (tests/vm/run covers 6.1 there).
.PHONY: kernel-matrix kernel-matrix-fetch
kernel-matrix:
	$(TOP)/tests/vm/matrix $(MATRIX_ARGS)

kernel-matrix-fetch:
	$(TOP)/tests/vm/matrix --fetch-only $(MATRIX_ARGS)
