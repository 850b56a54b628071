# make demo: the README's main command. Builds the packages, boots a Debian 12
# guest with systemd and runs `apt install vtoa` in it (from a local
# repository on its disk: DKMS builds the module, the service starts), then
# shows what an operator sees: systemctl status vtoa, vtoa doctor, vtoa selftest, then nginx behind
# a FULLNAT proxy logging the real clients. Ends with a one-line verdict.
# `make demo-module` is the module-level demo without packages or systemd.
.PHONY: demo demo-module
demo: deb
	tests/vm/pkg-test --demo

demo-module: vm-tool
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && cp demo/run tests/vm/bin/vtoa "$$d/" && \
	tests/vm/run --only none --extra "$$d" --show
