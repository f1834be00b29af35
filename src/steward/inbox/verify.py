"""Stripe-Signature verification with the SDK, over several secrets (rotation)."""

from __future__ import annotations

import time

import stripe

from steward.errors import InvalidSignature, MissingSignature, StaleSignature


def verify_stripe(
    body: bytes, header: str | None, secrets: list[str], tolerance: int, now: float | None = None
) -> None:
    """Raise a BadWebhook unless some secret signed ``body`` within ``tolerance`` seconds."""
    if not header:
        raise MissingSignature()
    matched = False
    for secret in secrets:
        try:
            # tolerance=None: the SDK checks the HMAC only; the age check follows, so that a
            # replayed old request is told apart from a forged one.
            stripe.WebhookSignature.verify_header(body, header, secret, tolerance=None)
        except stripe.SignatureVerificationError:
            continue
        matched = True
        break
    if not matched:
        raise InvalidSignature()
    timestamp = _timestamp(header)
    if abs((now or time.time()) - timestamp) > tolerance:
        raise StaleSignature(
            f"the signature is {int(abs((now or time.time()) - timestamp))} s old; the tolerance "
            f"is {tolerance} s"
        )


def _timestamp(header: str) -> int:
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    raise InvalidSignature("the Stripe-Signature header has no timestamp")
