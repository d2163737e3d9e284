#!/usr/bin/env python3
"""Lints the chart with Helm's own Go library (PyPI helm-sdkpy) and proves the guard rails.

1. The chart as shipped lints clean.
2. Copies with values that would put a secret into the ConfigMap (an inline access token, an
   inline SASL password) must FAIL lint: values.schema.json only admits ${ENV_VAR} references.
(The template also refuses a grace period shorter than the drain time with `fail`, which Helm
turns into a log line in lint mode, so that guard shows on `helm install`/`helm template`.)
Exit 0 when all of that holds; prints one line per check.
"""
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

import yaml
from helm_sdkpy import Configuration, Lint

CHART = Path(__file__).resolve().parent / "conversion-relay"


def lint(path: Path):
    try:
        result = asyncio.run(Lint(Configuration()).run(str(path)))
    except Exception as error:  # ChartError and friends carry the lint messages
        return False, str(error)
    # Helm's support.Severity: 1 info, 2 warning, 3 error.
    messages = result.get("Messages") or []
    failed = bool(result.get("Errors")) or any(message.get("Severity", 0) >= 3 for message in messages)
    return not failed, str(result)


def variant(change):
    directory = Path(tempfile.mkdtemp()) / "conversion-relay"
    shutil.copytree(CHART, directory)
    values = yaml.safe_load((directory / "values.yaml").read_text())
    change(values)
    (directory / "values.yaml").write_text(yaml.safe_dump(values))
    return directory


def inline_token(values):
    values["config"]["destinations"]["meta"]["access_token"] = "EAAB-inline-token"


def inline_password(values):
    values["config"]["kafka"]["properties"] = {"sasl.password": "hunter2"}


def every_option(values):
    values["staticMembership"]["enabled"] = True
    values["keda"]["enabled"] = True
    values["autoscaling"]["enabled"] = True
    values["serviceMonitor"]["enabled"] = True
    values["secretFiles"] = [{"secretName": "google-service-account", "mountPath": "/var/run/secrets/google"}]
    values["config"]["kafka"]["properties"] = {"security.protocol": "SASL_SSL", "sasl.password": "${KAFKA_PASSWORD}"}


checks = [("chart as shipped", CHART, True), ("every option on", variant(every_option), True)]
checks += [(name, variant(change), False) for name, change in
           [("inline access token", inline_token), ("inline SASL password", inline_password)]]
ok = True
for name, path, expected in checks:
    passed, detail = lint(path)
    verdict = "as expected" if passed == expected else "UNEXPECTED"
    print(f"helm lint: {name}: {'clean' if passed else 'rejected'} ({verdict})")
    if passed != expected:
        ok = False
        print(detail)
sys.exit(0 if ok else 1)
