#!/usr/bin/env python3
"""Validates event files against schemas/order-completed.v1.json, the way the relay reads them.

Usage: validate.py FILE... -> prints one JSON object {"FILE": true|false, ...}.

The relay reads the contract strictly, so this harness loads JSON the same way: UTF-8 only (no
BOM), RFC 8259 only (no NaN/Infinity, no numbers that overflow a double), unique keys, no lone
surrogates, at most 1 MiB and 64 levels deep. `pattern` follows ECMA-262, where `$` matches only
at the end of input (Python's `re` would also match before a final newline). `format: date-time`
is checked (RFC 3339, through rfc3339-validator).
"""
import json
import math
import re
import sys
from pathlib import Path

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

SCHEMA = json.loads((Path(__file__).parent / "order-completed.v1.json").read_text())
MAX_BYTES = 1 << 20
MAX_DEPTH = 64


class Rejected(ValueError):
    pass


def _pairs(pairs):
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        raise Rejected("duplicate key")
    return dict(pairs)


def _float(text):
    value = float(text)
    if not math.isfinite(value):
        raise Rejected("number out of range")
    return value


def _int(text):
    value = int(text)
    try:
        float(value)
    except OverflowError:
        raise Rejected("number out of range") from None
    return value


def _constant(name):
    raise Rejected(f"{name} is not JSON")


def _check(value, depth=0):
    if isinstance(value, (dict, list)):
        depth += 1
        if depth > MAX_DEPTH:
            raise Rejected("too deep")
        children = value.values() if isinstance(value, dict) else value
        for child in children:
            _check(child, depth)
    elif isinstance(value, str):
        value.encode("utf-8")  # raises on lone surrogates
    if isinstance(value, dict):
        for key in value:
            key.encode("utf-8")


def _ecma_pattern(validator, pattern, instance, schema):
    if isinstance(instance, str) and not re.search(pattern.replace("$", r"\Z"), instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


checker = FormatChecker()
assert not checker.conforms("2021-02-30T00:00:00Z", "date-time"), "rfc3339-validator is missing"
Validator = jsonschema.validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})
validator = Validator(SCHEMA, format_checker=checker)


def is_valid(data: bytes) -> bool:
    if len(data) > MAX_BYTES:
        return False
    try:
        text = data.decode("utf-8")
        document = json.loads(text, object_pairs_hook=_pairs, parse_float=_float, parse_int=_int,
                              parse_constant=_constant)
        _check(document)
    except (ValueError, UnicodeError, RecursionError):
        return False
    return validator.is_valid(document)


if __name__ == "__main__":
    print(json.dumps({name: is_valid(Path(name).read_bytes()) for name in sys.argv[1:]}))
