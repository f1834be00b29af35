"""Whop: the API adapter (through the official ``whop-sdk``), webhook verification and typed
events, embedded-app user tokens, and (in ``sandbox``) a protocol peer for tests and demos."""

from steward.providers.whop.errors import (
    UserTokenAlgorithmRefused,
    UserTokenBadSignature,
    UserTokenClaimMissing,
    UserTokenExpired,
    UserTokenMalformed,
    UserTokenMissing,
    UserTokenNotYetValid,
    UserTokenUnknownKey,
    UserTokenWrongAudience,
    UserTokenWrongIssuer,
    WhopError,
    WhopEventMalformed,
    WhopEventUnsupported,
    WhopUserTokenError,
    WhopWebhookForged,
    WhopWebhookHeadersMissing,
    WhopWebhookStale,
)
from steward.providers.whop.events import (
    EVENT_TYPES,
    MembershipEvent,
    PaymentEvent,
    WhopEvent,
    parse_event,
)
from steward.providers.whop.gateway import DEFAULT_API_BASE, WhopGateway
from steward.providers.whop.records import DirectMessage, Membership, PushNotification
from steward.providers.whop.tokens import (
    DEFAULT_JWKS_URL,
    USER_TOKEN_HEADER_NAME,
    UserTokenClaims,
    UserTokenVerifier,
    fetch_jwks,
    jwks_from_public_key,
)
from steward.providers.whop.webhooks import parse_secrets, sign, verify

__all__ = [
    "DEFAULT_API_BASE",
    "DEFAULT_JWKS_URL",
    "EVENT_TYPES",
    "USER_TOKEN_HEADER_NAME",
    "DirectMessage",
    "Membership",
    "MembershipEvent",
    "PaymentEvent",
    "PushNotification",
    "UserTokenAlgorithmRefused",
    "UserTokenBadSignature",
    "UserTokenClaimMissing",
    "UserTokenClaims",
    "UserTokenExpired",
    "UserTokenMalformed",
    "UserTokenMissing",
    "UserTokenNotYetValid",
    "UserTokenUnknownKey",
    "UserTokenVerifier",
    "UserTokenWrongAudience",
    "UserTokenWrongIssuer",
    "WhopError",
    "WhopEvent",
    "WhopEventMalformed",
    "WhopEventUnsupported",
    "WhopGateway",
    "WhopUserTokenError",
    "WhopWebhookForged",
    "WhopWebhookHeadersMissing",
    "WhopWebhookStale",
    "fetch_jwks",
    "jwks_from_public_key",
    "parse_event",
    "parse_secrets",
    "sign",
    "verify",
]
