#!/usr/bin/env python3
"""Splits a `perf record -g` profile of the relay into the engine's steps, in µs per order.

Usage:
  perf script -i relay.data | swift demangle --simplified > relay.script
  scripts/perf-buckets.py ORDERS relay.script [other.script ...]

Each sample goes to the first bucket whose pattern matches a frame of its call stack, looked for
from the root down (so the outermost engine step owns what it calls: preparation owns the
encoders, admission owns the ledger calls it makes). Samples with no engine frame (librdkafka's
threads, the kernel below a lost stack, allocator work whose caller was lost) are counted apart.
µs per order = samples / sampling rate / orders, with the rate given by PERF_HZ (999 by default,
as `perf record -F 999`). A profile is a sample, not a count: compare buckets within one run, or
scale a run by a bucket whose code did not change (benchmarks/HISTORY.md, "The engine's share").
"""
import os
import re
import sys
from collections import Counter

BUCKETS = [
    ("preparation", r"RecordPreparer\.prepare"),
    ("telemetry", r"RelayTelemetry\."),
    ("admission", r"RelayEngine\.admit"),
    ("settling", r"RelayEngine\.settle"),
    ("durable writes", r"RelayEngine\.writeUntilAcknowledged|RelayEngine\.handToRetryTopic"),
    ("destinations: makeRequest", r"makeRequest|HTTPBody\.init"),
    ("destinations: classify", r"classify\("),
    ("delivery", r"RelayEngine\.deliver|RelayEngine\.send|deliveryLoop"),
    ("curl: copying bodies (readCallback)", r"readCallback"),
    ("curl: client", r"CurlHTTPClient|Transfer\.|writeCallback|libcurl|curl_"),
    ("poll loop: batch deadlines", r"RelayEngine\.flushBatches"),
    ("poll loop: offsets", r"storeDirtyOffsets|RelayEngine\.store\("),
    ("poll loop: backpressure", r"applyBackpressure|mayEndBackpressure|SettlementSignal"),
    ("poll loop: gauges", r"updateGauges"),
    ("Kafka consumer poll", r"KafkaConsumer"),
    ("poll loop: ingest", r"RelayEngine\.ingestPolled"),
    ("poll loop: other", r"RelayEngine\.pollLoop"),
]
ENGINE = {name for name, _ in BUCKETS} - {"preparation", "destinations: makeRequest", "destinations: classify"}


def bucket(stack):
    for name, pattern in BUCKETS:
        if any(re.search(pattern, frame) for frame in reversed(stack)):
            return name
    if stack and stack[-1].startswith("rdk:"):
        return "librdkafka's threads"
    leaf = stack[0] if stack else ""
    if "[kernel" in leaf:
        return "kernel (caller lost)"
    if re.search(r"swift_retain|swift_release|malloc|free|swift_alloc|swift_dealloc", leaf):
        return "ARC and malloc (caller lost)"
    return "other"


def read(path):
    counts, stack, thread, total = Counter(), [], "", 0

    def flush():
        nonlocal total
        if thread:
            total += 1
            counts[bucket(stack + [thread])] += 1

    with open(path) as lines:
        for line in lines:
            if not line.strip():
                continue
            if line[0] not in " \t":
                flush()
                stack, thread = [], line.split()[0] + ":"
                continue
            parts = line.strip().split(None, 1)
            if len(parts) == 2:
                stack.append(parts[1])
    flush()
    return counts, total


def main():
    orders = int(sys.argv[1])
    hz = float(os.environ.get("PERF_HZ", "999"))
    runs = [(os.path.basename(path), *read(path)) for path in sys.argv[2:]]
    scale = 1e6 / hz / orders
    names = [name for name, _ in BUCKETS] + ["librdkafka's threads", "kernel (caller lost)", "ARC and malloc (caller lost)", "other"]
    print(f"{'µs per order':38}" + "".join(f"{run[0][:16]:>17}" for run in runs))
    print(f"{'all samples':38}" + "".join(f"{total * scale:17.2f}" for _, _, total in runs))
    print(f"{'engine (admission to curl)':38}" + "".join(f"{sum(c[n] for n in ENGINE) * scale:17.2f}" for _, c, _ in runs))
    for name in names:
        print(f"{'  ' + name:38}" + "".join(f"{counts[name] * scale:17.2f}" for _, counts, _ in runs))


if __name__ == "__main__":
    main()
