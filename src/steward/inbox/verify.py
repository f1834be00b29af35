"""Stripe-Signature verification with the SDK, over several secrets (rotation).

The header is parsed once, here: exactly one ``t`` (digits only) and the ``v1`` signatures. The
SDK then checks each ``v1`` against a header rebuilt from that one ``t``, and the age check reads
the same ``t`` — so a header carrying a fresh ``t`` beside an old signed one cannot pass."""

from __future__ import annotations

import time

import stripe

from steward.errors import InvalidSignature, MalformedEvent, MissingSignature, StaleSignature

MAX_HEADER = 4096


def parse_header(header: str) -> tuple[int, list[str]]:
    """(timestamp, v1 signatures); InvalidSignature for anything else."""
    if len(header) > MAX_HEADER:
        raise InvalidSignature("the Stripe-Signature header is too long")
    stamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            stamps.append(value)
        elif key == "v1" and value:
            signatures.append(value)
    if len(stamps) != 1 or not stamps[0].isascii() or not stamps[0].isdigit():
        raise InvalidSignature("the Stripe-Signature header needs exactly one timestamp t=<digits>")
    if not signatures:
        raise InvalidSignature("the Stripe-Signature header has no v1 signature")
    return int(stamps[0]), signatures


def verify_stripe(
    body: bytes, header: str | None, secrets: list[str], tolerance: int, now: float | None = None
) -> None:
    """Raise a BadWebhook unless some secret signed ``body`` within ``tolerance`` seconds."""
    if not header:
        raise MissingSignature()
    timestamp, signatures = parse_header(header)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedEvent("the body is not UTF-8 JSON") from None
    if not any(_signed(text, timestamp, sig, secret) for secret in secrets for sig in signatures):
        raise InvalidSignature()
    age = abs((now or time.time()) - timestamp)
    if age > tolerance:
        raise StaleSignature(f"the signature is {int(age)} s old; the tolerance is {tolerance} s")


def _signed(text: str, timestamp: int, signature: str, secret: str) -> bool:
    # tolerance=None: the SDK checks the HMAC only; the age check follows, so that a replayed old
    # request is told apart from a forged one.
    try:
        stripe.WebhookSignature.verify_header(
            text, f"t={timestamp},v1={signature}", secret, tolerance=None
        )
    except stripe.SignatureVerificationError:
        return False
    return True
