# RPM tests: out/'s RPMs installed with rpm inside a Debian 11 guest (bullseye's
# 5.10 kernel, systemd as PID 1), every scriptlet as on EL; an upgrade, the .deb's
# binary on bullseye's glibc, erase, a kernel with its own vtoa.
# See tests/vm/README.md ("RPM tests"). Needs root. Not part of `make check`.
#   make rpm-vm-test                 uses out/*.rpm (make rpm if there are none)
#   make rpm-vm-test RPMVM_ARGS="--keep-logs out/rpmvm --keep-disks"
#   make rpm-vm-image                only build/refresh the bullseye guest image
.PHONY: rpm-vm-test rpm-vm-image

rpm-vm-test:
	$(TOP)/tests/vm/rpm-test $(RPMVM_ARGS)

rpm-vm-image:
	$(TOP)/tests/vm/rpm-test --image-only
