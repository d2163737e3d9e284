#!/usr/bin/env python3
"""Regenerates the bad-input corpus: bad-inputs/ (records that must go to the retry topic with a
clear reason) and hostile-identifiers/ (valid events whose identifiers are broken in every way:
delivered, with the unusable identifiers left out). The 10 MB value is built by the test itself
(files here stay small).

    python3 Tests/Fixtures/generate.py
"""
import json
from pathlib import Path

here = Path(__file__).resolve().parent
base = {
    "schema_version": 1, "event_type": "order.completed", "order_id": "ORD-BAD", "occurred_at": "2026-11-26T10:15:30Z",
    "currency": "EUR", "value": 10.5,
    "customer": {"email": "jane@example.com", "phone": "+49 30 1234567", "country": "DE"},
    "context": {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "page_url": "https://shop.example/thanks"},
}


def doc(**changes):
    d = json.loads(json.dumps(base))
    for key, value in changes.items():
        if value is ...:
            d.pop(key, None)
        else:
            d[key] = value
    return json.dumps(d, ensure_ascii=False).encode()


text = json.dumps(base).encode()
bad = {
    "empty": b"", "whitespace-only": b"   \n\t ", "plain-text": b"order ORD-1 completed", "truncated": text[:60],
    "trailing-comma": text[:-1] + b",}", "top-level-array": b"[" + text + b"]", "top-level-string": b'"order"',
    "top-level-number": b"42", "top-level-null": b"null", "invalid-utf8": text.replace(b"ORD-BAD", b"ORD-\xff\xfe"),
    "utf8-bom": b"\xef\xbb\xbf" + text, "lone-surrogate": text.replace(b'"ORD-BAD"', b'"ORD-BAD","n":"\\ud800"'),
    "overlong-utf8": text.replace(b"ORD-BAD", b"ORD-\xc0\xaf"), "raw-nul-in-string": text.replace(b"ORD-BAD", b"ORD-\x00"),
    "raw-control-in-string": text.replace(b"ORD-BAD", b"ORD-\x07"),
    "deeply-nested-arrays": text[:-1] + b',"x":' + b"[" * 100 + b"]" * 100 + b"}",
    "deeply-nested-objects": text[:-1] + b',"x":' + b'{"a":' * 1000 + b"1" + b"}" * 1000 + b"}",
    "duplicate-keys": text[:-1] + b',"value":-1}', "nan-value": text.replace(b'"value": 10.5', b'"value": NaN'),
    "infinity-value": text.replace(b'"value": 10.5', b'"value": Infinity'), "huge-exponent": text.replace(b'"value": 10.5', b'"value": 1e400'),
    "huge-integer": text.replace(b'"value": 10.5', b'"value": ' + b"9" * 400),
    "hex-number": text.replace(b'"value": 10.5', b'"value": 0x10'), "leading-zeros": text.replace(b'"value": 10.5', b'"value": 0010'),
    "comments": b"// order\n" + text, "single-quotes": text.replace(b'"', b"'"),
    "unquoted-keys": text.replace(b'"schema_version"', b"schema_version"),
    "value-as-string": doc(value="10.50"), "value-negative": doc(value=-1), "value-boolean": doc(value=True),
    "value-missing": doc(value=...), "currency-lowercase": doc(currency="eur"), "currency-unknown": doc(currency="XYZ"),
    "currency-number": doc(currency=978), "currency-too-long": doc(currency="EURO"),
    "order-id-empty": doc(order_id=""), "order-id-space": doc(order_id="ORD 1"), "order-id-too-long": doc(order_id="X" * 200),
    "order-id-control": doc(order_id="ORD\u0001"), "order-id-number": doc(order_id=1001), "order-id-missing": doc(order_id=...),
    "occurred-at-missing": doc(occurred_at=...), "occurred-at-text": doc(occurred_at="yesterday"),
    "occurred-at-impossible": doc(occurred_at="2026-02-30T10:00:00Z"), "occurred-at-no-zone": doc(occurred_at="2026-11-26T10:15:30"),
    "occurred-at-epoch": doc(occurred_at=1795688130), "event-type-wrong": doc(event_type="order.created"),
    "schema-version-2": doc(schema_version=2), "schema-version-string": doc(schema_version="1"),
    "items-object": doc(items={"sku": "A"}), "item-quantity-zero": doc(items=[{"sku": "A", "quantity": 0, "price": 1}]),
    "item-quantity-fraction": doc(items=[{"sku": "A", "quantity": 1.5, "price": 1}]),
    "item-price-negative": doc(items=[{"sku": "A", "quantity": 1, "price": -1}]), "item-without-sku": doc(items=[{"quantity": 1, "price": 1}]),
    "too-many-items": doc(items=[{"sku": "A", "quantity": 1, "price": 1}] * 501), "customer-string": doc(customer="jane@example.com"),
    "customer-email-number": doc(customer={"email": 12345}), "customer-email-too-long": doc(customer={"email": "a" * 300 + "@example.com"}),
    "consent-yes-string": doc(consent={"marketing": "yes"}), "context-array": doc(context=["ip"]),
    "store-id-space": doc(store_id="shop de"), "store-id-too-long": doc(store_id="s" * 100),
}
hostile_emails = ["a@", "@example.com", "a@b", "a b@example.com", "a@@example.com", "\u0000@example.com", "ä@ö", " ", ".@.", "a@example.", "a" * 250 + "@x.com"]
hostile_phones = ["+", "++44", "123", "abc", "+44 (0)", "٠١٢٣٤٥٦٧٨٩", "+999 999 999 999 999 999", "00", "ext. 12", "+1 (555) 01"]
hostile = {}
for index, (email, phone) in enumerate(zip(hostile_emails, hostile_phones + ["+49 30 1234567"])):
    d = json.loads(json.dumps(base))
    d["order_id"] = f"ORD-HOSTILE-{index}"
    d["customer"] = {"email": email, "phone": phone, "first_name": "\u202eevil", "last_name": "'; DROP TABLE--",
                     "country": ["Atlantis", "", "??", "DE"][index % 4], "date_of_birth": "0000-00-00", "gender": "🦄", "postal_code": "!!!"}
    hostile[f"hostile-{index:02d}"] = json.dumps(d, ensure_ascii=False).encode()

for directory, cases in [("bad-inputs", bad), ("hostile-identifiers", hostile)]:
    for old in (here / directory).glob("*.json"):
        old.unlink()
    for name, data in cases.items():
        (here / directory / f"{name}.json").write_bytes(data)
print(f"{len(bad)} bad inputs, {len(hostile)} hostile-identifier events")
