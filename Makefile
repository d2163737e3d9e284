# conversion-relay — one command to see it work, one to test it.
# Every import must be a declared dependency (a fresh clone builds targets in any order).
SWIFT_FLAGS ?= --explicit-target-dependency-import-check error

.PHONY: setup setup-libraries build demo test fuzz bench bench-smoke bench-hot-path microbench clean

## The C libraries and the Python test tooling (in .venv); setup-libraries: the C libraries only.
setup:
	@./scripts/setup.sh

setup-libraries:
	@./scripts/setup.sh --libraries

build: setup-libraries
	swift build $(SWIFT_FLAGS)

## Runs the relay end to end: in-process Kafka cluster, sample orders, local sandbox destinations.
demo: build
	swift run $(SWIFT_FLAGS) conversion-relay demo

## Builds everything and runs every test: the unit targets (no Kafka; the sandboxes on
## loopback) in parallel, then the targets that run librdkafka's mock cluster and child relays
## (scripts/integration-tests.sh: one test at a time within each of three shards, the shards at
## once, since that phase mostly waits on the mock's group joins). A new test target is a unit
## target unless it is listed here.
INTEGRATION_TEST_TARGETS = RelayKafkaTests|RelayIntegrationTests
test: setup
	swift build $(SWIFT_FLAGS) --build-tests
	swift test $(SWIFT_FLAGS) --skip-build --parallel --skip '^($(INTEGRATION_TEST_TARGETS))\.'
	INTEGRATION_TEST_TARGETS='$(INTEGRATION_TEST_TARGETS)' ./scripts/integration-tests.sh $(SWIFT_FLAGS)

## Fuzzes the event decoder (libFuzzer + AddressSanitizer) for FUZZ_SECONDS, seeded with the
## schema examples and the bad-input corpus. Its own package and build folder (fuzz/, .build-fuzz).
FUZZ_SECONDS ?= 30
fuzz: setup-libraries
	cd fuzz && swift build --scratch-path ../.build-fuzz
	mkdir -p .build-fuzz/corpus
	# New inputs go to the first folder; the others are read-only seeds.
	.build-fuzz/debug/DecoderFuzzer .build-fuzz/corpus schemas/examples/valid schemas/examples/invalid \
		Tests/Fixtures/bad-inputs Tests/Fixtures/hostile-identifiers \
		-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1

## End-to-end throughput (benchmarks/README.md): ORDERS orders from the in-process mock cluster
## through the release build of the relay to the five local sandboxes, Google's quota lifted (and
## one more run under it); ends with one JSON line.
ORDERS ?= 1000000
BENCH_ARGS ?=
bench: setup-libraries
	swift build -c release --product conversion-relay
	cd benchmarks && swift build -c release --product relay-bench
	cd benchmarks && .build/release/relay-bench --orders $(ORDERS) --relay ../.build/release/conversion-relay $(BENCH_ARGS)

## Builds the benchmarks package (harness and micro-benchmarks), runs its unit tests (the
## harness's delivery accounting) and runs the harness on a few thousand orders against the debug
## relay: it must lose nothing. A check that the harness works, not a measurement (CI runs it
## after the tests).
bench-smoke: setup-libraries
	cd benchmarks && swift build --build-tests
	cd benchmarks && swift test --skip-build
	cd benchmarks && .build/debug/relay-bench --orders 3000 --instances 1,2 --paced-seconds 2 --slow-seconds 3 \
		--relay ../.build/debug/conversion-relay | tee ../.build/bench-smoke.log
	tail -1 .build/bench-smoke.log | grep -q '"lost":0,'

## Instructions per order of the preparation path (decode, normalise and hash, five encodings) on
## one thread, counted by callgrind: a deterministic figure for comparing builds on a shared machine.
## The last line counts OpenSSL's SHA-256 as this CPU executes it (instruction-steps), which
## valgrind cannot (the SHA extensions).
HOT_PATH_ORDERS ?= 3000
bench-hot-path: setup-libraries
	cd benchmarks && swift build -c release --product relay-hot-path
	cd benchmarks && swift build -c release --product sha256-timing
	cd benchmarks && swift build -c release --product instruction-steps
	./scripts/hot-path-instructions.sh benchmarks/.build/release/relay-hot-path $(HOT_PATH_ORDERS)

## Micro-benchmarks (ordo-one/benchmark): time and allocations per hot-path operation.
microbench: setup-libraries
	cd benchmarks && swift package --disable-sandbox benchmark

clean:
	rm -rf .build .build-fuzz benchmarks/.build
