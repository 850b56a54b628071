#!/usr/bin/env bash
# Run the kernel's checkpatch.pl over the module sources.
# Debian's headers packages do not ship checkpatch.pl, so it is taken from
# Debian's linux-source package (downloaded once, cached, never installed).
set -euo pipefail
cache=${VTOA_CACHE:-$HOME/.cache/vtoa}/checkpatch
cp=$cache/scripts/checkpatch.pl
if [ ! -x "$cp" ]; then
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.dl.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	( cd "$tmp" && apt-get download -q linux-source-6.1 >/dev/null 2>&1 ) || {
		echo "checkpatch: cannot download Debian's linux-source-6.1 (run 'apt-get update' first)" >&2; exit 2; }
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.1_*.deb |
		tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$tmp" --wildcards --strip-components=1 \
			'linux-source-6.1/scripts/checkpatch.pl' \
			'linux-source-6.1/scripts/spelling.txt' \
			'linux-source-6.1/scripts/const_structs.checkpatch'
	mkdir -p "$cache/scripts"
	mv "$tmp"/scripts/* "$cache/scripts/"
fi
[ $# -gt 0 ] || { echo "usage: $0 FILE..." >&2; exit 2; }
exec perl "$cp" --no-tree --show-types --ignore SPDX_LICENSE_TAG,LINUX_VERSION_CODE,CONSTANT_COMPARISON -f "$@"
