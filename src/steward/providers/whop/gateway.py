"""Steward's calls to Whop, through the official ``whop-sdk``. The same code talks to the real API
or to the sandbox: only the API base differs (``https://api.whop.com/api/v1`` by default).

Every write is a POST and carries an ``Idempotency-Key``: Whop stores the answer to a keyed POST
for 24 hours and replays it to a retry (``Idempotent-Replayed: true``), so the SDK's own retries
and a caller's retry with the same key never cancel, extend or message twice. A key reused for a
different request is refused (400 ``idempotency_key_mismatch``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx
from whop_sdk import Whop, WhopEnvironment
from whop_sdk.core.api_error import ApiError
from whop_sdk.core.parse_error import ParsingError
from whop_sdk.core.request_options import RequestOptions
from whop_sdk.types.membership import Membership as SdkMembership
from whop_sdk.types.message import Message as SdkMessage

from steward.providers.whop.errors import WhopError
from steward.providers.whop.records import (
    DirectMessage,
    Membership,
    PushNotification,
    money,
    timestamp,
)

DEFAULT_API_BASE = WhopEnvironment.PRODUCTION.api
MAX_FREE_DAYS = 1095  # Whop's bound for POST /memberships/{id}/extend
T = TypeVar("T")


class WhopGateway:
    def __init__(
        self,
        api_key: str,
        api_base: str = "",
        *,
        max_retries: int = 2,
        timeout: float = 30.0,
        httpx_client: httpx.Client | None = None,
    ) -> None:
        base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.api_base = base
        self._owned = httpx_client is None
        self._http = httpx_client or httpx.Client(timeout=timeout, follow_redirects=True)
        self.client = Whop(
            environment=WhopEnvironment(api=base, vault=base),
            token=api_key,
            max_retries=max_retries,
            timeout=timeout,
            httpx_client=self._http,
        )

    def close(self) -> None:
        if self._owned:
            self._http.close()

    def __enter__(self) -> WhopGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- memberships ---------------------------------------------------------------------------
    def retrieve_membership(self, membership_id: str) -> Membership:
        """``GET /memberships/{id}``."""
        found = self._call(
            f"retrieve {membership_id}", lambda: self.client.memberships.retrieve(membership_id)
        )
        return _membership(found)

    def cancel_at_period_end(
        self, membership_id: str, *, idempotency_key: str, reason: str | None = None
    ) -> Membership:
        """Stop renewal; access lasts until the period ends (``POST /memberships/{id}/cancel``,
        ``cancel_at_period_end: true``)."""
        return self._cancel(membership_id, True, idempotency_key, reason)

    def terminate(
        self, membership_id: str, *, idempotency_key: str, reason: str | None = None
    ) -> Membership:
        """Revoke access now: the same endpoint with ``cancel_at_period_end: false`` (Whop has no
        separate terminate call in v1)."""
        return self._cancel(membership_id, False, idempotency_key, reason)

    def add_free_days(self, membership_id: str, days: int, *, idempotency_key: str) -> Membership:
        """Extend the billing period, expiry or trial (``POST /memberships/{id}/extend``)."""
        if not 1 <= days <= MAX_FREE_DAYS:
            raise ValueError(f"days must be 1..{MAX_FREE_DAYS}, not {days}")
        found = self._call(
            f"extend {membership_id}",
            lambda: self.client.memberships.extend(
                membership_id, days=days, request_options=_keyed(idempotency_key)
            ),
        )
        return _membership(found)

    def _cancel(
        self, membership_id: str, at_period_end: bool, key: str, reason: str | None
    ) -> Membership:
        what = "cancel at period end" if at_period_end else "terminate"
        found = self._call(
            f"{what} {membership_id}",
            lambda: self.client.memberships.cancel(
                membership_id,
                cancel_at_period_end=at_period_end,
                request_options=_keyed(key),
                **_given(reason=reason),
            ),
        )
        return _membership(found)

    # -- reaching the member -------------------------------------------------------------------
    def send_push(
        self,
        *,
        user_id: str,
        title: str,
        content: str,
        idempotency_key: str,
        experience_id: str | None = None,
        company_id: str | None = None,
        subtitle: str | None = None,
        rest_path: str | None = None,
    ) -> PushNotification:
        """``POST /notifications`` narrowed to one user. Exactly one audience: ``experience_id``
        (the experience's users; the way to reach a customer) or ``company_id`` (Whop's
        ``account_id``: the company's team)."""
        if (experience_id is None) == (company_id is None):
            raise ValueError("pass exactly one of experience_id and company_id")
        answer = self._call(
            f"notify {user_id}",
            lambda: self.client.notifications.create(
                title=title,
                content=content,
                user_ids=[user_id],
                request_options=_keyed(idempotency_key),
                **_given(
                    experience_id=experience_id,
                    account_id=company_id,
                    subtitle=subtitle,
                    rest_path=rest_path,
                ),
            ),
        )
        return PushNotification(queued=answer.success, user_ids=(user_id,), title=title)

    def send_direct_message(
        self, *, user_id: str, content: str, idempotency_key: str, company_id: str | None = None
    ) -> DirectMessage:
        """Find or open the DM channel with the user (``POST /dm_channels``, which returns the
        existing channel), then post in it (``POST /messages``). Each POST has its own key,
        derived from ``idempotency_key``."""
        channel = self._call(
            f"open a DM with {user_id}",
            lambda: self.client.dm_channels.create(
                with_user_ids=[user_id],
                request_options=_keyed(f"{idempotency_key}:channel"),
                **_given(account_id=company_id),
            ),
        )
        sent = self._call(
            f"message {user_id}",
            lambda: self.client.messages.create(
                channel_id=channel.id,
                content=content,
                request_options=_keyed(f"{idempotency_key}:message"),
            ),
        )
        return _message(sent, channel.id, user_id)

    # -- errors --------------------------------------------------------------------------------
    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except ApiError as exc:
            raise _api_error(what, exc.status_code, exc.body) from exc
        except ParsingError as exc:
            raise WhopError(
                f"whop: {what}: the answer does not match the SDK's schema: {exc.cause}",
                status=exc.status_code,
                request=what,
            ) from exc
        except httpx.HTTPError as exc:
            raise WhopError(f"whop: {what}: {type(exc).__name__}: {exc}", request=what) from exc


def _given(**params: str | None) -> dict[str, str]:
    """The optional parameters that were set: the SDK sends an explicit None as JSON null."""
    return {name: value for name, value in params.items() if value is not None}


def _keyed(idempotency_key: str) -> RequestOptions:
    if not idempotency_key or len(idempotency_key.encode()) > 255:
        raise ValueError("an idempotency key is 1 to 255 bytes")
    return {"additional_headers": {"Idempotency-Key": idempotency_key}}


def _api_error(what: str, status: int | None, body: object) -> WhopError:
    """Whop answers ``{"error": {"type" or "code", "message"}}``; anything else is kept as text."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or error.get("type") or error.get("code") or "")
        kind, code = error.get("type"), error.get("code")
    else:
        message, kind, code = str(body)[:500], None, None
    return WhopError(
        f"whop: {what}: {status} {message}",
        status=status,
        error_type=kind if isinstance(kind, str) else None,
        error_code=code if isinstance(code, str) else None,
        request=what,
        whop_message=message,
    )


def _membership(m: SdkMembership) -> Membership:
    amount, currency = money(m.renewal_price.model_dump() if m.renewal_price else None)
    return Membership(
        id=m.id,
        status=str(m.status),
        user_id=m.user_id,
        company_id=m.account.id,
        company_title=m.account.title,
        plan_id=m.plan_id,
        product_id=m.product_id,
        cancel_at_period_end=m.cancel_at_period_end,
        renewal_period_start=timestamp(m.current_period_start),
        renewal_period_end=timestamp(m.current_period_end),
        canceled_at=timestamp(m.canceled_at),
        manage_url=m.manage_url,
        renewal_amount=amount,
        currency=currency or m.initial_price.currency.lower(),
        updated_at=timestamp(m.updated_at),
    )


def _message(m: SdkMessage, channel_id: str, user_id: str) -> DirectMessage:
    return DirectMessage(
        id=m.id,
        channel_id=channel_id,
        user_id=user_id,
        content=m.content or "",
        created_at=m.created_at,
    )
