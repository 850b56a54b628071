# make demo: the README's main command. Builds the module and the vtoa
# tool (static Swift runtime, as packaged), boots the Debian guest and
# shows what an operator sees: vtoa load/status/doctor/selftest, then nginx
# behind a FULLNAT proxy logging the real client. Ends with a verdict.
.PHONY: demo
demo:
	env PATH="/opt/swift/usr/bin:$(PATH)" swift build -c release --static-swift-stdlib
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	cp demo/run "$$(env PATH="/opt/swift/usr/bin:$(PATH)" swift build -c release --static-swift-stdlib --show-bin-path)/vtoa" "$$d/" && \
	tests/vm/run --only none --extra "$$d" --show
