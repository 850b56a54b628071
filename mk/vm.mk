# VM test bench: Debian's kernel under qemu (TCG) with vtoa.ko loaded. See tests/vm/README.md.
#   make vm-test                       all suite tests (builds module, test programs, image)
#   make vm-test VM_ARGS="--only '10-*'"
#   make vm-image                      only build/refresh the cached guest image
.PHONY: vm-test vm-image peer-check
# peer-check first: the VM's closing line stays the last one printed
check: peer-check vm-test

vm-test:
	$(TOP)/tests/vm/run $(VM_ARGS)

# the eBPF backend (bpf/README.md) on the suite tests it
# passes today, from the same test files (--backend ebpf); in make check
# after vm-test (tests/vm/run builds tests/vm/src, and so bin/vtoa-bpf)
.PHONY: vm-test-ebpf
check: vm-test-ebpf
vm-test-ebpf: vm-tool
	$(TOP)/tests/vm/run --backend ebpf --only '[1-5]0-*' $(VM_EBPF_ARGS)

# the whole suite on the eBPF backend in the 6.1 Debian guest (~6 min; not
# in make check, which runs the whole suite on it on 5.10:
# kernel-matrix-ebpf-check). 00-smoke, 71, 89, 95, 96 are module-only and
# skip with their reason.
.PHONY: vm-test-ebpf-all
vm-test-ebpf-all: vm-tool
	$(TOP)/tests/vm/run --backend ebpf $(VM_EBPF_ARGS)

vm-image:
	$(TOP)/tests/vm/image.sh

# the peer and server against this host's own kernel, in a private netns
peer-check:
	$(MAKE) -C tests/vm/src test

# the vtoa tool goes into the guest too (tests/vm/bin is the payload's bin/),
# built as packaged: static Swift runtime
SWIFT_STATIC := env PATH="/opt/swift/usr/bin:$(PATH)" swift build -c release --static-swift-stdlib
.PHONY: vm-tool
vm-test: vm-tool
vm-tool:
	$(SWIFT_STATIC)
	mkdir -p tests/vm/bin && cp "$$($(SWIFT_STATIC) --show-bin-path)/vtoa" tests/vm/bin/vtoa
