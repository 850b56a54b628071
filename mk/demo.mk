# make demo: the README's main command. Builds the packages, installs them
# into a Debian 12 guest image from the host (`apt install` in a chroot:
# DKMS builds the module), boots it with systemd and shows what an operator
# sees: systemctl status vtoa, vtoa doctor, vtoa selftest, then nginx behind
# a FULLNAT proxy logging the real clients. Ends with a one-line verdict.
# `make demo-module` is the module-level demo without packages or systemd.
.PHONY: demo demo-module
demo: deb
	tests/vm/pkg-test --demo

demo-module: vm-tool
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && cp demo/run tests/vm/bin/vtoa "$$d/" && \
	tests/vm/run --only none --extra "$$d" --show
