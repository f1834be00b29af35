"""``X-Vapi-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.

The timestamp is signed with the body, so a captured request cannot be replayed after the
tolerance; several ``v1`` values are allowed (secret rotation on the sender's side)."""

from __future__ import annotations

import hashlib
import hmac
import time

from steward.errors import InvalidSignature, MissingSignature, StaleSignature

HEADER = "X-Vapi-Signature"


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(
    body: bytes, header: str | None, secret: str, tolerance: int, now: float | None = None
) -> None:
    if not header:
        raise MissingSignature(f"the {HEADER} header is missing")
    parts = [p.partition("=") for p in header.split(",")]
    stamps = [v for k, _, v in parts if k.strip() == "t"]
    macs = [v.strip() for k, _, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not macs:
        raise InvalidSignature(f"the {HEADER} header is malformed")
    t = int(stamps[0])
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, m) for m in macs):
        raise InvalidSignature(f"the {HEADER} header does not match the body")
    if abs((time.time() if now is None else now) - t) > tolerance:
        raise StaleSignature(f"the {HEADER} timestamp is outside the {tolerance} s tolerance")
