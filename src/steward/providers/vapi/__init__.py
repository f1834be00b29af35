"""A Vapi-like voice-call provider: the client Steward uses (list calls for reconciliation), the
webhook signature, and a sandbox peer that places calls and sends signed "call.ended" webhooks."""

from steward.providers.vapi.client import CallPage, VapiClient
from steward.providers.vapi.signing import sign, verify

__all__ = ["CallPage", "VapiClient", "sign", "verify"]
