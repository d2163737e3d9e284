#!/usr/bin/env bash
# Installs what conversion-relay needs on a Debian (bookworm) machine, idempotently.
#
#   scripts/setup.sh               the C libraries the relay links, and the Python test tooling
#   scripts/setup.sh --libraries   the C libraries only (`make build`, `make demo`: no Python)
#
# The Python packages go into the project's virtual environment, .venv (git-ignored): Debian's own
# python3 is "externally managed" (PEP 668) and refuses `pip install` outside one. The tests run
# .venv/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/.."

libraries_only=false
[ "${1:-}" = "--libraries" ] && libraries_only=true

apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}"
  local sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

apt_install librdkafka-dev libcurl4-openssl-dev libssl-dev libphonenumber-dev libicu-dev libjemalloc-dev libjq-dev pkg-config
command -v swift >/dev/null || { echo "setup: the Swift toolchain (6.1 or later) is required" >&2; exit 1; }
$libraries_only && exit 0

# ISO 3166-2 data, read by scripts/generate-subdivision-table.py (not needed to build or test).
apt_install iso-codes

# The test tooling, pinned where the tests depend on an API:
#   jsonschema + rfc3339-validator  schemas/validate.py, schemas/validate_config.py (schema agreement)
#   pyyaml                          the configuration and chart checks
#   helm-python-sdk                 Helm v4's Go SDK (lint, and `helm template` with schema validation)
#   kubernetes-validate             every rendered object against Kubernetes' OpenAPI schemas
python_packages=("jsonschema>=4.18" rfc3339-validator pyyaml "helm-python-sdk==0.2.2" "kubernetes-validate>=1.30")
venv=.venv
# python3 -m venv needs Debian's python3-venv (ensurepip); the check is the module actually working.
if [ ! -x "$venv/bin/python3" ]; then
  command -v python3 >/dev/null || apt_install python3 python3-venv
  if ! python3 -c "import ensurepip, venv" 2>/dev/null; then
    python_minor=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    apt_install python3-venv "python${python_minor}-venv"
  fi
  echo "setup: creating the Python environment $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python3" -c "import jsonschema, rfc3339_validator, yaml, helm_python, kubernetes_validate" 2>/dev/null; then
  echo "setup: installing the Python test tooling into $venv"
  "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check "${python_packages[@]}"
fi
