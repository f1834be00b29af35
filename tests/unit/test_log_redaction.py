"""Logs never carry secrets, payloads, whole emails or whole phone numbers."""

from __future__ import annotations

from steward.logging import redact


def test_redaction() -> None:
    out = redact(
        None,
        "info",
        {
            "event": "x",
            "email": "owner@example.com",
            "phone": "+447911123456",
            "note": "sent to owner@example.com",
            "trial_ends_at": "2026-11-29T07:49:40Z",
            "stripe_signature": "t=1,v1=abc",
            "payload": "{...}",
            "admin_token": "secret",
            "tenant_id": "ten_123",
        },
    )
    assert out["email"] == "o***@example.com"
    assert out["phone"] == "***456"
    assert out["note"] == "sent to o***@example.com"
    assert out["trial_ends_at"] == "2026-11-29T07:49:40Z"
    assert out["stripe_signature"] == out["payload"] == out["admin_token"] == "[redacted]"
    assert out["tenant_id"] == "ten_123"
