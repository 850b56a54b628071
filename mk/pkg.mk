# Packages: Debian (debian/) and RPM (rpm/vtoa.spec), from the work tree
# (tracked and new files, not ignored ones), built in a copy so the work
# tree stays clean. Results in out/. See debian/README.source, rpm/README.md.
#   make deb                 out/vtoa_*.deb, out/vtoa-dkms_*.deb (+ the source package, out/vtoa_*.dsc)
#   make rpm                 out/vtoa-*.rpm, out/vtoa-dkms-*.rpm
#   make pkg-check           lintian (-EvIL +pedantic, source and .debs) and rpmlint on what is in out/, systemd-analyze verify
#   make pkg-test            deb, rpm, then pkg-check (what `make check` runs; ~1.5 min)
#   make deb rpm PKG_RELEASE=2   a newer build of the same version (upgrade tests)
#   make deb rpm PKG_PORTABLE=0  link against this host's libraries, not the
#                            Debian 11 sysroot (tools/portable-sysroot): the
#                            binary then needs this host's glibc (abi-check fails)
#   make pkg-clean
.PHONY: deb rpm pkg pkg-check pkg-test pkg-clean
check: pkg-test

PKG_OUT ?= $(TOP)/out
PKG_TMP ?= $(TOP)/.build-pkg
PKG_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$$/\1/p' $(TOP)/kmod/dkms.conf)
PKG_RELEASE ?= 1
PKG_PATH := $(PATH):/opt/swift/usr/bin
SWIFTPM_MIRROR ?= /opt/swift-packages
export SWIFTPM_MIRROR
PKG_PORTABLE ?= 1
# the sysroot's path, assembled on first use (shell code for a recipe)
PKG_SYSROOT = $$(if [ "$(PKG_PORTABLE)" = 1 ]; then $(TOP)/tools/portable-sysroot; fi)

# The work tree's files (as git sees them: tracked and new, not ignored,
# not deleted) plus Package.resolved (ignored, but pins the dependencies).
define pkg_copy_tree
	rm -rf $(1) && mkdir -p $(1)
	set -o pipefail; cd $(TOP) && { git ls-files -z --cached --others --exclude-standard; \
		if [ -e Package.resolved ]; then printf 'Package.resolved\0'; fi; } | \
		while IFS= read -r -d '' f; do [ -e "$$f" ] && printf '%s\0' "$$f"; done | \
		tar -c --null -T - -f - | tar -x -C $(1)
endef

pkg: deb rpm

deb:
	$(call pkg_copy_tree,$(PKG_TMP)/deb/vtoa-$(PKG_VERSION))
	@# A newer build of the same version: a changelog entry on top (copy only).
	cd $(PKG_TMP)/deb/vtoa-$(PKG_VERSION) && \
	if [ "$$(dpkg-parsechangelog -S Version)" != "$(PKG_VERSION)-$(PKG_RELEASE)" ]; then \
		{ printf 'vtoa (%s-%s) bookworm; urgency=medium\n\n  * Rebuild (make deb PKG_RELEASE=%s).\n\n -- %s  %s\n\n' \
			$(PKG_VERSION) $(PKG_RELEASE) $(PKG_RELEASE) "$$(dpkg-parsechangelog -S Maintainer)" "$$(date -R)"; \
		  cat debian/changelog; } > debian/changelog.new && mv debian/changelog.new debian/changelog; \
	fi
	@# The source package too, for lintian (pkg-check): the copy without debian/
	@# is the orig tarball; built before the binaries write into the copy.
	cd $(PKG_TMP)/deb && rm -f vtoa_$(PKG_VERSION)*.orig.tar.* vtoa_*.dsc vtoa_*.debian.tar.* && \
		tar --exclude=vtoa-$(PKG_VERSION)/debian -czf vtoa_$(PKG_VERSION).orig.tar.gz vtoa-$(PKG_VERSION) && \
		dpkg-source -b vtoa-$(PKG_VERSION) >/dev/null
	S=$(PKG_SYSROOT) && cd $(PKG_TMP)/deb/vtoa-$(PKG_VERSION) && \
		PATH="$(PKG_PATH)" VTOA_SYSROOT="$$S" dpkg-buildpackage -us -uc -b
	mkdir -p $(PKG_OUT) && rm -f $(PKG_OUT)/vtoa*.deb $(PKG_OUT)/vtoa_*.dsc $(PKG_OUT)/vtoa_*.tar.*
	cp $(PKG_TMP)/deb/vtoa*_$(PKG_VERSION)-$(PKG_RELEASE)_*.deb $(PKG_TMP)/deb/vtoa_$(PKG_VERSION)-$(PKG_RELEASE).dsc \
		$(PKG_TMP)/deb/vtoa_$(PKG_VERSION)-$(PKG_RELEASE).debian.tar.* $(PKG_TMP)/deb/vtoa_$(PKG_VERSION).orig.tar.gz $(PKG_OUT)/
	@ls -l $(PKG_OUT)/*.deb $(PKG_OUT)/vtoa_*.dsc

rpm:
	$(call pkg_copy_tree,$(PKG_TMP)/rpm/vtoa-$(PKG_VERSION))
	mkdir -p $(PKG_TMP)/rpm/SOURCES
	tar -C $(PKG_TMP)/rpm -czf $(PKG_TMP)/rpm/SOURCES/vtoa-$(PKG_VERSION).tar.gz vtoa-$(PKG_VERSION)
	@# --nodeps: the BuildRequires are EL package names, not in Debian's rpm database.
	S=$(PKG_SYSROOT) && PATH="$(PKG_PATH)" rpmbuild -bb --nodeps \
		$${S:+--define "vtoa_sysroot $$S"} \
		--define "_topdir $(PKG_TMP)/rpm" \
		--define "vtoa_release $(PKG_RELEASE)" \
		--define "swiftpm_mirror $(SWIFTPM_MIRROR)" \
		--define "packager $$(dpkg-parsechangelog -l $(TOP)/debian/changelog -S Maintainer)" \
		$(TOP)/rpm/vtoa.spec
	mkdir -p $(PKG_OUT) && rm -f $(PKG_OUT)/vtoa*.rpm
	cp $(PKG_TMP)/rpm/RPMS/*/vtoa*-$(PKG_VERSION)-$(PKG_RELEASE)*.rpm $(PKG_OUT)/
	@ls -l $(PKG_OUT)/*.rpm

pkg-check:
	@ls $(PKG_OUT)/*.deb $(PKG_OUT)/*.rpm >/dev/null || { echo "pkg-check: run 'make deb rpm' first" >&2; exit 1; }
	@# what the packaged binary needs, against Alibaba Cloud Linux 3; and
	@# that the check fails where it should: a program linked on this host
	@# (bookworm's glibc 2.36: stat GLIBC_2.33, hypotf GLIBC_2.35)
	$(TOP)/tools/abi-check $(PKG_OUT)/*.deb $(PKG_OUT)/*.rpm
	@mkdir -p $(PKG_TMP) && printf '%s\n' '#include <math.h>' '#include <sys/stat.h>' \
		'int main(int c, char **v) { struct stat st; return stat(v[0], &st) + (int)hypotf(c, c); }' \
		>$(PKG_TMP)/abi-host.c && cc -O0 -o $(PKG_TMP)/abi-host $(PKG_TMP)/abi-host.c -lm && \
	if out=$$($(TOP)/tools/abi-check $(PKG_TMP)/abi-host); then \
		echo "pkg-check: abi-check passed a binary linked against this host's glibc: $$out" >&2; exit 1; \
	elif ! grep -q 'needs GLIBC_2\.35 (Alibaba Cloud Linux 3 has GLIBC_2.32): hypotf' <<<"$$out"; then \
		echo "pkg-check: abi-check failed the host-linked binary without naming hypotf: $$out" >&2; exit 1; \
	else echo "abi-check rejects a host-linked binary: $$(grep -c '^✘' <<<"$$out") finding(s), hypotf named"; fi
	@# every tag (-EvIL +pedantic: experimental, info, pedantic), the source
	@# package and the .debs; an error or a warning fails
	lintian -EvIL +pedantic --fail-on error,warning $(PKG_OUT)/vtoa_*.dsc $(PKG_OUT)/*.deb
	rpmlint -c $(TOP)/rpm/rpmlint.toml -r $(TOP)/rpm/vtoa.rpmlintrc $(PKG_OUT)/*.rpm
	@# The unit as installed, with its ExecStart= binary from the .deb: any
	@# message (an unknown key, a missing binary) is a failure.
	@if ! command -v systemd-analyze >/dev/null; then \
		echo "pkg-check: no systemd-analyze (apt install systemd): vtoa.service not verified"; exit 0; fi; \
	rm -rf $(PKG_TMP)/root && mkdir -p $(PKG_TMP)/root && \
	for d in $(PKG_OUT)/*.deb; do dpkg-deb -x $$d $(PKG_TMP)/root; done && \
	out=$$(systemd-analyze verify --man=no --root=$(PKG_TMP)/root /lib/systemd/system/vtoa.service 2>&1); \
	rc=$$?; [ -z "$$out" ] || echo "$$out"; \
	[ $$rc -eq 0 ] && [ -z "$$out" ] && echo "systemd-analyze verify vtoa.service: clean"

# Sequential on purpose: pkg-check needs both sets of packages.
pkg-test:
	$(MAKE) -C $(TOP) deb
	$(MAKE) -C $(TOP) rpm
	$(MAKE) -C $(TOP) pkg-check

pkg-clean:
	rm -rf $(PKG_TMP) $(PKG_OUT)/vtoa*.deb $(PKG_OUT)/vtoa*.rpm $(PKG_OUT)/vtoa_*.dsc $(PKG_OUT)/vtoa_*.tar.*
