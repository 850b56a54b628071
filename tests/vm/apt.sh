# Debian archive access without touching the host's apt state (sourced, bash;
# by tests/vm/matrix, tests/vm/image.sh, tests/vm/rpm-test and tools/portable-sysroot).
#
#   host_apt_entries        "URI SUITE" for every enabled deb entry of the host with
#                           component main (the same parser as tests/vm/image.sh)
#   apt_use NAME [ARCH]     a private apt state in $CACHE/apt/NAME[-ARCH]; sets APTO
#   apt_download DEST PKG...  .debs into DEST
#
# apt_use wants from the sourcing script: CACHE, suite_sources NAME (the
# sources.list lines for NAME), die MSG, say MSG.
# shellcheck shell=bash

host_apt_entries() {
    local f
    {
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [[ -f "$f" ]] || continue
            sed -e 's/#.*//' "$f" | awk '
                $1 == "deb" {
                    i = 2
                    if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                    uri = $i; suite = $(i + 1)
                    for (j = i + 2; j <= NF; j++) if ($j == "main") { print uri, suite; break }
                }'
        done
        for f in /etc/apt/sources.list.d/*.sources; do
            [[ -f "$f" ]] || continue
            awk '
                function flush(   n, u, s, i, j, k, us, ss) {
                    if (types ~ /(^| )deb( |$)/ && comps ~ /(^| )main( |$)/ && enabled != "no") {
                        n = split(uris, us, " "); k = split(suites, ss, " ")
                        for (i = 1; i <= n; i++) for (j = 1; j <= k; j++) print us[i], ss[j]
                    }
                    types = uris = suites = comps = enabled = ""
                }
                /^[ \t]*#/ { next }
                /^[ \t]*$/ { flush(); next }
                {
                    line = $0; key = tolower(line); sub(/:.*/, "", key)
                    val = line; sub(/^[^:]*:[ \t]*/, "", val)
                    if (key == "types") types = val
                    else if (key == "uris") uris = val
                    else if (key == "suites") suites = val
                    else if (key == "components") comps = val
                    else if (key == "enabled") enabled = tolower(val)
                }
                END { flush() }' "$f"
        done
    } | awk '!seen[$0]++'
}

# apt_use NAME [ARCH]: a private apt state in $CACHE/apt/NAME[-ARCH] for suite
# NAME (packages of ARCH instead of the host's); sets APTO.
# The lists are refreshed when older than a day (or the sources changed); if
# that fails (offline) the old lists are used.
apt_use() {
    local name=$1 arch=${2:-} dir=$CACHE/apt/$1${2:+-$2} src
    src=$(suite_sources "$name")
    [[ -n "$src" ]] || die "no Debian mirror: the host's apt sources have no 'bookworm main' entry (set VTOA_MIRROR=<uri>)"
    mkdir -p "$dir/lists/partial" "$dir/archives/partial"
    APTO=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$dir/lists" -o "Dir::State::status=/dev/null"
          -o "Dir::Cache=$dir" -o "Dir::Cache::Archives=$dir/archives"
          -o APT::Sandbox::User=root -o Debug::NoLocking=1)
    [[ -z "$arch" ]] || APTO+=(-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch")
    if [[ ! -f "$dir/sources.list" ]] || [[ "$(cat "$dir/sources.list")" != "$src" ]]; then
        printf '%s\n' "$src" >"$dir/sources.list"
        rm -f "$dir/.updated"
    fi
    if [[ -z "$(find "$dir/.updated" -mmin -1440 2>/dev/null)" ]]; then
        if apt-get "${APTO[@]}" -q update >"$dir/update.log" 2>&1; then
            touch "$dir/.updated"
        elif compgen -G "$dir/lists/*_Packages*" >/dev/null; then
            say "note: apt-get update for $name failed, using the lists of $(date -r "$dir/lists" +%F) ($dir/update.log)"
        else
            tail -n 5 "$dir/update.log" >&2
            die "apt-get update for suite $name failed ($dir/update.log)"
        fi
    fi
}

# apt_download DEST PKG...: .debs into DEST
apt_download() {
    local dest=$1; shift
    mkdir -p "$dest"
    (cd "$dest" && apt-get "${APTO[@]}" -q download "$@") >"$dest/download.log" 2>&1 ||
        { tail -n 5 "$dest/download.log" >&2; die "apt-get download $* failed"; }
}
