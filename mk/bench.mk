# make bench: what vtoa costs a server - connection rate, per-call cost,
# memory per connection, tool wall time - module unloaded vs loaded in one
# VM bench guest (~5 min under TCG). Not part of `make check`: timings on a
# shared, emulated machine are reported, never asserted. See bench/README.md.
#   make bench
#   make bench BENCH_ROUNDS=9        (also BENCH_PEER_COUNT, BENCH_MEM_CONNS,
#                                     BENCH_MEM_PAIRS, BENCH_TOOL_RUNS, BENCH_OUT)
.PHONY: bench
export BENCH_ROUNDS BENCH_PEER_COUNT BENCH_MEM_CONNS BENCH_MEM_PAIRS BENCH_TOOL_RUNS BENCH_OUT

bench:
	$(TOP)/bench/run
