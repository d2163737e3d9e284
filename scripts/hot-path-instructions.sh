#!/usr/bin/env bash
# Instructions per order of the relay's preparation path (benchmarks/Sources/RelayHotPath), counted
# by valgrind's callgrind: each stage runs once with ORDERS orders and once with none, and the
# difference is divided by ORDERS, so set-up (generating and decoding the sample orders, and one
# warm-up order through every encoder that initialises libphonenumber and OpenSSL) is not
# counted. Deterministic, unlike timings on a shared machine. Usage: hot-path-instructions.sh BINARY [ORDERS] [INPUT]
# (INPUT: native by default; segment, shopify or jq to map each record from that shape first.)
#
# Valgrind cannot execute the CPU's SHA extensions, so under callgrind OpenSSL hashes with its
# software block function (~2,040 instructions a block against ~200 with the extensions). When
# `instruction-steps` and `sha256-timing` sit next to BINARY (`make bench-hot-path` builds them),
# the last line gives the same count with OpenSSL's part as this CPU executes it: callgrind's
# calls of SHA256_Init and SHA256_Transform per order (one block each), times what one call
# executes natively (single-stepped by `instruction-steps`), in place of callgrind's instructions
# in them. Without the extensions both counts agree.
set -euo pipefail
binary=$1
orders=${2:-3000}
input=${3:-native}

if ! command -v valgrind >/dev/null; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends valgrind
fi

# Valgrind cannot read the DWARF that Swift emits ("possibly corrupted debuginfo"): count a copy
# without it.
stripped=$(mktemp)
cp "$binary" "$stripped"
chmod +x "$stripped"
strip --strip-debug "$stripped"

profiles=$(mktemp -d)
trap 'rm -f "$stripped"; rm -rf "$profiles"' EXIT

# instructions STAGE ORDERS: the run's total; its profile is kept as $profiles/STAGE-ORDERS.
instructions() {
  valgrind --tool=callgrind --compress-strings=no --compress-pos=no --callgrind-out-file="$profiles/$1-$2" \
    "$stripped" --stage "$1" --orders "$2" --input "$input" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

# calls_and_cost PROFILE FUNCTION: "calls instructions" of all calls of FUNCTION (inclusive).
calls_and_cost() {
  awk -v name="$2" '
    /^cfn=/ { target = substr($0, 5); next }
    /^calls=/ { if (target == name) { split($0, a, /[= ]/); calls += a[2]; take = 1 }; next }
    take { cost += $2; take = 0 }
    END { printf "%d %d\n", calls, cost }' "$1"
}

setup=$(instructions decode 0)
for stage in decode encode all; do
  total=$(instructions "$stage" "$orders")
  label=$stage
  [ "$input" != native ] && label="$stage ($input)"
  echo "$label: $(( (total - setup) / orders )) instructions per order ($orders orders, callgrind)"
done

tools=$(dirname "$binary")
if [ -x "$tools/instruction-steps" ] && [ -x "$tools/sha256-timing" ]; then
  # Natively: span 1 is one digest of one block (SHA256_Init + one SHA256_Transform), span 2 one of
  # two blocks; only libcrypto's instructions are counted.
  spans=$("$tools/instruction-steps" --object libcrypto "$tools/sha256-timing" --step-markers | sed -n 's/^span [12]: \([0-9]*\) instructions/\1/p' | tr '\n' ' ')
  read -r one_block two_blocks <<<"$spans"
  native_transform=$(( two_blocks - one_block ))
  native_init=$(( one_block - native_transform ))
  read -r transform_calls transform_cost < <(paste -d' ' <(calls_and_cost "$profiles/all-$orders" SHA256_Transform) <(calls_and_cost "$profiles/decode-0" SHA256_Transform) | awk '{print $1-$3, $2-$4}')
  read -r init_calls init_cost < <(paste -d' ' <(calls_and_cost "$profiles/all-$orders" SHA256_Init) <(calls_and_cost "$profiles/decode-0" SHA256_Init) | awk '{print $1-$3, $2-$4}')
  all=$(( total - setup ))
  native=$(( all - transform_cost - init_cost + transform_calls * native_transform + init_calls * native_init ))
  awk -v b="$transform_calls" -v o="$orders" -v sw="$transform_cost" -v nt="$native_transform" \
    'BEGIN { printf "SHA-256 blocks: %.2f per order; OpenSSL executes %d instructions a block under callgrind (software), %d on this CPU\n", b / o, sw / b, nt }'
  echo "$label, with SHA-256 as this CPU executes it: $(( native / orders )) instructions per order ($orders orders, callgrind and instruction-steps)"
fi
