#!/usr/bin/env bash
# Start-up cost of two vtoa binaries, alternated in one run (ABAB...), as
# the median over rounds of the per-round ratio B/A, and their stripped
# sizes. Used for bench/README.md's "The tool binary" (issue 17 point 7).
#   bench/tool-startup.sh OLD-vtoa NEW-vtoa [ROUNDS] [RUNS-PER-ROUND]
set -euo pipefail
a=${1:?usage: bench/tool-startup.sh OLD NEW [ROUNDS] [RUNS]} b=${2:?usage: bench/tool-startup.sh OLD NEW [ROUNDS] [RUNS]}
rounds=${3:-15} runs=${4:-50}
for f in "$a" "$b"; do [ -x "$f" ] || { echo "tool-startup: $f is not an executable" >&2; exit 2; }; done
ns() { local s; s=$(date +%s%N); for ((i = 0; i < runs; i++)); do "$1" kernel-check 6.1.0-28-amd64 >/dev/null; done; echo $(( ($(date +%s%N) - s) / runs )); }
ratios=() as=() bs=()
for ((r = 0; r < rounds; r++)); do
	ta=$(ns "$a"); tb=$(ns "$b")
	as+=("$ta"); bs+=("$tb")
	ratios+=("$(awk -v x="$tb" -v y="$ta" 'BEGIN { printf "%.3f", x / y }')")
done
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
size() { local t; t=$(mktemp); strip -o "$t" "$1"; stat -c %s "$t"; rm -f "$t"; }
echo "stripped size: A $(size "$a") B, B $(size "$b") B"
echo "kernel-check start-up, median of $rounds rounds x $runs runs: A $(( $(med "${as[@]}") / 1000 )) us, B $(( $(med "${bs[@]}") / 1000 )) us"
echo "B/A per round: ${ratios[*]}"
echo "B/A median $(med "${ratios[@]}"), min $(printf '%s\n' "${ratios[@]}" | sort -g | head -1), max $(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)"
