#!/usr/bin/env bash
# Instructions per order of the relay's preparation path (benchmarks/Sources/RelayHotPath), counted
# by valgrind's callgrind: each stage runs once with ORDERS orders and once with none, and the
# difference is divided by ORDERS, so set-up (generating and decoding the sample orders, and one
# warm-up order through every encoder that initialises libphonenumber and OpenSSL) is not
# counted. Deterministic, unlike timings on a shared machine. Usage: hot-path-instructions.sh BINARY [ORDERS] [INPUT]
# (INPUT: native by default; segment, shopify or jq to map each record from that shape first.)
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
trap 'rm -f "$stripped"' EXIT
cp "$binary" "$stripped"
chmod +x "$stripped"
strip --strip-debug "$stripped"

instructions() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$stripped" --stage "$1" --orders "$2" --input "$input" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

setup=$(instructions decode 0)
for stage in decode encode all; do
  total=$(instructions "$stage" "$orders")
  label=$stage
  [ "$input" != native ] && label="$stage ($input)"
  echo "$label: $(( (total - setup) / orders )) instructions per order ($orders orders, callgrind)"
done
