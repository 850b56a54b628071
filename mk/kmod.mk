.PHONY: kmod kmod-check kmod-clean
all: kmod
check: kmod-check

kmod:
	$(MAKE) -C kmod KDIR=$(KDIR)

kmod-check:
	$(MAKE) -C kmod check

kmod-clean:
	$(MAKE) -C kmod clean
