# conversion-relay — one command to see it work, one to test it.
# Every import must be a declared dependency (a fresh clone builds targets in any order).
SWIFT_FLAGS ?= --explicit-target-dependency-import-check error

.PHONY: setup build demo test clean

setup:
	@./scripts/setup.sh

build: setup
	swift build $(SWIFT_FLAGS)

## Runs the relay end to end: in-process Kafka cluster, sample orders, local sandbox destinations.
demo: build
	swift run $(SWIFT_FLAGS) conversion-relay demo

## Builds everything and runs every test (unit, sandbox, mock-cluster integration).
test: setup
	swift build $(SWIFT_FLAGS) --build-tests
	swift test $(SWIFT_FLAGS) --skip-build --no-parallel

clean:
	rm -rf .build
