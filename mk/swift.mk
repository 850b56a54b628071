# The vtoa command-line tool and the VTOA library (Swift package at the top).
SWIFT_PATH := /opt/swift/usr/bin:$(PATH)
SWIFT := env PATH="$(SWIFT_PATH)" swift

.PHONY: swift-build swift-test swift-clean
all: swift-build
check: swift-test

swift-build:
	$(SWIFT) build -c release

swift-test:
	$(SWIFT) test

swift-clean:
	rm -rf .build
