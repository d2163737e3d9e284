#!/usr/bin/env python3
"""Validates conversion-relay YAML configuration files against schemas/config.v1.json.

Usage: validate_config.py FILE... -> prints {"FILE": [error messages], ...} (empty list = valid).
"""
import json
import sys
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

SCHEMA = json.loads((Path(__file__).parent / "config.v1.json").read_text())
validator = Draft202012Validator(SCHEMA)

if __name__ == "__main__":
    report = {}
    for name in sys.argv[1:]:
        document = yaml.safe_load(Path(name).read_text())
        report[name] = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
    print(json.dumps(report))
