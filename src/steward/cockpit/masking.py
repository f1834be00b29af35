"""Payloads as the cockpit shows them: secrets, card details and personal data masked."""

from __future__ import annotations

import json
import re
from typing import Any

SENSITIVE = re.compile(
    r"secret|token|password|passwd|api_key|apikey|authorization|signature|email|phone|"
    r"address|name$|^last4$|fingerprint|iban|account_number|routing|ssn|tax_id|client_secret",
    re.IGNORECASE,
)


def mask(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    text = str(value)
    return "•••" + text[-2:] if len(text) > 6 else "•••"


def scrub(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: (mask(v) if SENSITIVE.search(k) and not isinstance(v, dict | list) else scrub(v))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [scrub(v) for v in data]
    return data


def masked_payload(raw: str) -> str:
    try:
        return json.dumps(scrub(json.loads(raw)), indent=2, sort_keys=True)
    except ValueError:
        return "(not JSON; hidden)"
