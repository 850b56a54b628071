# Package tests: `apt-get install vtoa` inside a booted Debian 12 guest with systemd
# as PID 1 (from a local repository on its disk; DKMS builds in the guest), the
# six tests of issue 5 and the missing-headers case of issue 16.
# See tests/vm/README.md ("Package tests"). Needs root.
#   make pkg-vm-test                 uses out/*.deb (make deb if there are none); ~9 min
#   make pkg-vm-test PKGVM_ARGS="--keep-logs out/pkgvm --keep-disks"
#   make pkg-vm-image                only build/refresh the systemd guest image
# In `make check` it runs after pkg-test (pkg.mk, which builds out/*.deb).
.PHONY: pkg-vm-test pkg-vm-image pkg-vm-test-kernel-upgrade
check: pkg-vm-test

pkg-vm-test:
	$(TOP)/tests/vm/pkg-test $(PKGVM_ARGS)

# A kernel upgrade (issue 16.5): vtoa installed, then bookworm-backports'
# newer kernel and its headers (DKMS's kernel hook builds vtoa for it),
# then a boot of that kernel. Not in make check: two more DKMS builds under
# TCG (~25 min) would push a fresh .ci/run past its 45 minutes.
pkg-vm-test-kernel-upgrade:
	$(TOP)/tests/vm/pkg-test --kernel-upgrade $(PKGVM_ARGS)

pkg-vm-image:
	$(TOP)/tests/vm/image.sh --flavour systemd
