# The VM bench on a debug kernel: Debian's linux-source-6.1 with KASAN, kmemleak,
# lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS_RCU_HEAD, KFENCE, UBSAN
# (tests/vm/debug-kernel, cached in ~/.cache/vtoa). See tests/vm/README.md
# ("The debug kernel"). Not part of `make check`: a first kernel build alone
# takes longer than .ci/run's budget allows.
#   make vm-debug-kernel          only build (or find cached) the debug kernel
#   make vm-test-debug            the module suite on it; any report fails
#   make vm-test-debug-ebpf       the eBPF backend's suite tests (10-50) on it
#   make vm-test-debug-selftest   two planted module builds (leak, out-of-bounds
#                                 write); passes only if the run fails on both
.PHONY: vm-debug-kernel vm-test-debug vm-test-debug-ebpf vm-test-debug-selftest

vm-debug-kernel:
	$(TOP)/tests/vm/debug-kernel

vm-test-debug: vm-tool
	$(TOP)/tests/vm/run --debug-kernel $(VM_DEBUG_ARGS)

vm-test-debug-ebpf: vm-tool
	$(TOP)/tests/vm/run --debug-kernel --backend ebpf --only '[1-5]0-*' $(VM_DEBUG_EBPF_ARGS)

vm-test-debug-selftest:
	$(TOP)/tests/vm/debug-selftest
