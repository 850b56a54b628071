# vtoa - the front door. `make`, `make check`, `make demo`, `make deb`, `make rpm`, `make bench`.
# Each part keeps its rules in mk/<part>.mk; this file only wires them together.
SHELL := /bin/bash
TOP := $(CURDIR)
KVER ?= $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n1 | sed 's|.*/linux-headers-||')
KDIR ?= $(if $(KVER),/usr/src/linux-headers-$(KVER),/lib/modules/$(shell uname -r)/build)
export KVER KDIR

.PHONY: all check
all:
check:

-include mk/*.mk
