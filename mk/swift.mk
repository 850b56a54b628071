# The vtoa command-line tool and the VTOA library (Swift package at the top).
SWIFT_PATH := /opt/swift/usr/bin:$(PATH)
SWIFT := env PATH="$(SWIFT_PATH)" swift

.PHONY: swift-build swift-test swift-clean prom-check
all: swift-build
check: swift-test prom-check

swift-build:
	$(SWIFT) build -c release

swift-test:
	$(SWIFT) test

# `vtoa stats --prometheus` through promtool check metrics (tools/prom-check):
# a fake loaded module and none; one SKIP line when promtool is not installed.
prom-check:
	if command -v promtool >/dev/null; then $(SWIFT) build --product vtoa; fi
	tools/prom-check "$$($(SWIFT) build --show-bin-path)/vtoa"

swift-clean:
	rm -rf .build
