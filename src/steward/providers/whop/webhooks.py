"""Whop's webhook signature: Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``).

Whop keys the HMAC with the literal bytes of the secret it shows (prefix included), where the
``standardwebhooks`` package base64-decodes its key; ``whop_sdk.lib.verify_webhook.unwrap``
bridges the two by encoding the secret first, and is what checks each signature here. Pass the
secret exactly as the dashboard shows it. Several secrets are tried in turn (rotation)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook
from whop_sdk.lib.verify_webhook import WebhookVerificationError, unwrap

from steward.providers.whop.errors import (
    WhopEventMalformed,
    WhopWebhookForged,
    WhopWebhookHeadersMissing,
    WhopWebhookStale,
)

HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
MAX_TOLERANCE = 300  # standardwebhooks refuses timestamps further than 5 minutes either way


def parse_secrets(value: str | Iterable[str]) -> tuple[str, ...]:
    """``"whsec_new,whsec_old"`` (a setting) or a list, blanks dropped, order kept."""
    items = value.split(",") if isinstance(value, str) else value
    return tuple(s.strip() for s in items if s.strip())


def verify(
    secrets: Iterable[str],
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    tolerance: int = MAX_TOLERANCE,
) -> dict[str, Any]:
    """The parsed event, once ``body`` is proved to come from Whop under one of ``secrets``.

    Raises WhopWebhookHeadersMissing, WhopWebhookStale (timestamp more than ``tolerance``
    seconds from now), WhopWebhookForged (no secret matches) or WhopEventMalformed (signed, but
    not a JSON object)."""
    keys = parse_secrets(secrets)
    if not keys:
        raise ValueError("no webhook secret configured")
    if not 0 < tolerance <= MAX_TOLERANCE:
        raise ValueError(f"tolerance must be 1..{MAX_TOLERANCE} seconds")
    lowered = {k.lower(): v for k, v in headers.items()}
    absent = [name for name in HEADERS if not lowered.get(name)]
    if absent:
        raise WhopWebhookHeadersMissing(f"whop webhook: missing {', '.join(absent)}")
    stamp = lowered["webhook-timestamp"].strip()
    if not stamp.isdigit():
        raise WhopWebhookForged("whop webhook: webhook-timestamp is not unix seconds")
    if abs(time.time() - int(stamp)) > tolerance:
        raise WhopWebhookStale(f"whop webhook: timestamp outside the {tolerance} s tolerance")
    signed = {name: lowered[name] for name in HEADERS}
    for secret in keys:
        try:
            return unwrap(body, headers=signed, key=secret)
        except WebhookVerificationError as exc:
            if "too old" in str(exc) or "too new" in str(exc):  # the 5-minute edge, crossed now
                raise WhopWebhookStale(f"whop webhook: {exc}") from exc
        except ValueError as exc:  # verified, but the body is not a JSON object
            raise WhopEventMalformed(f"whop webhook: {exc}") from exc
    raise WhopWebhookForged("whop webhook: the signature matches no configured secret")


def sign(secret: str, webhook_id: str, body: str, at: int | None = None) -> dict[str, str]:
    """The three headers Whop sends with ``body`` (what the sandbox and tests sign with)."""
    when = int(time.time()) if at is None else at
    key = base64.b64encode(secret.encode("utf-8")).decode("ascii")
    signature = Webhook(key).sign(webhook_id, datetime.fromtimestamp(when, UTC), body)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(when),
        "webhook-signature": signature,
    }


def dumps(event: Mapping[str, Any]) -> str:
    """One serialisation, signed and sent as is: the signature covers these exact bytes."""
    return json.dumps(event, separators=(",", ":"))
