#!/usr/bin/env bash
# The integration phase of `make test`: the test targets that run librdkafka's mock cluster, the
# sandboxes and child relays (INTEGRATION_TEST_TARGETS, passed by the Makefile).
#
# Inside a shard every test runs alone (--no-parallel): a test never shares its mock cluster's
# timings with another test of its shard. The three shards run at once because the phase mostly
# waits rather than computes: librdkafka 2.0.2's mock makes an empty group's first join wait a
# fixed 3 s and a departed member's rebalance wait the session timeout (rdkafka_mock_cgrp.c), so
# serial, the phase took ~245 s of wall time for ~42 s of CPU (user + system, children included;
# `/usr/bin/time -v`, 2026-12-07). Shards are cut by suite, with the heaviest suites (the group
# scenarios, the process tests, the backlog scenarios) in different shards. The last shard takes
# every integration suite the first two do not name, so a new suite always runs.
#
# The shards only read the build (--skip-build), so they pass --ignore-lock: SwiftPM would
# otherwise run them one after the other, each waiting for the last to release `.build`.
#
# Usage: scripts/integration-tests.sh [swift test flags...]   (the build must be up to date)
set -uo pipefail
cd "$(dirname "$0")/.."

targets="${INTEGRATION_TEST_TARGETS:-RelayKafkaTests|RelayIntegrationTests}"
shards=(
    'GroupScenarioTests|ScenarioTests|AllPlatformsTests|KafkaClientTests|GoogleRequestStatusPollingTests'
    'ProcessTests|RetryConsumerTests|OperationsTests|BadInputCorpusRelayTests|ClosedProducerTests'
)
named=$(IFS='|'; echo "${shards[*]}")
suite_pattern() { echo "^($targets)\\.($1)(/|\$)"; }

logs=.build/integration-tests
mkdir -p "$logs"
started=$(date +%s)
pids=()
for index in 0 1 2; do
    if (( index < ${#shards[@]} )); then
        selection=(--filter "$(suite_pattern "${shards[$index]}")")
    else
        selection=(--filter "^($targets)\\." --skip "$(suite_pattern "$named")")
    fi
    swift test "$@" --skip-build --ignore-lock --no-parallel "${selection[@]}" > "$logs/shard-$((index + 1)).log" 2>&1 &
    pids+=($!)
done

status=0
for index in "${!pids[@]}"; do
    if ! wait "${pids[$index]}"; then status=1; fi
done
elapsed=$(( $(date +%s) - started ))

for index in "${!pids[@]}"; do
    echo "=== integration shard $((index + 1)) of ${#pids[@]} ($logs/shard-$((index + 1)).log)"
    cat "$logs/shard-$((index + 1)).log"
done
echo "=== integration shards:"
grep -h -E 'Test run with [0-9]+ tests' "$logs"/shard-*.log || true
echo "=== integration phase: $( ((status == 0)) && echo passed || echo FAILED ) after ${elapsed} s (three shards at once)"
exit $status
