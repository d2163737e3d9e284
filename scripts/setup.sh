#!/usr/bin/env bash
# Installs what conversion-relay needs on a Debian (bookworm) machine, idempotently:
# the C libraries it links and the Python packages its schema agreement test uses.
set -euo pipefail

packages=(librdkafka-dev libcurl4-openssl-dev libssl-dev libphonenumber-dev libjemalloc-dev pkg-config)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python jsonschema (with the RFC 3339 format checker) validates schemas/examples in the tests.
if ! python3 -c "import jsonschema, rfc3339_validator, yaml" 2>/dev/null; then
  echo "setup: installing jsonschema for the schema agreement test"
  python3 -m pip install --quiet "jsonschema>=4.18" rfc3339-validator pyyaml
fi

# Helm's own Go library, for linting the chart in the tests (needs Python >= 3.12 by metadata,
# works on 3.11).
if ! python3 -c "import helm_sdkpy" 2>/dev/null; then
  echo "setup: installing helm-sdkpy for the chart lint"
  python3 -m pip install --quiet --ignore-requires-python helm-sdkpy
fi

command -v swift >/dev/null || { echo "setup: the Swift toolchain (6.1 or later) is required" >&2; exit 1; }
