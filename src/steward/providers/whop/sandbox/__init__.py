"""A local Whop: the v1 API Steward calls, real signed webhooks, user tokens, faults on the wire.

The official ``whop-sdk`` talks to ``WhopSandbox.app`` unchanged: mount the app (Steward mounts
it at ``/sandbox/whop``) and give the SDK ``<mount>/api/v1`` as its API base. When a renewal
succeeds or fails (``renew``, or ``POST /_sandbox/memberships/{id}/renewal``) the sandbox changes
the membership as Whop would and delivers the events, signed, to ``webhook_url`` from a
background thread (``start()`` it first)."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable

from fastapi import FastAPI

from steward.providers.whop.sandbox import lifecycle
from steward.providers.whop.sandbox.api import build_app
from steward.providers.whop.sandbox.delivery import BACKOFF, Deliverer, DeliveryRecord
from steward.providers.whop.sandbox.faults import Faults
from steward.providers.whop.sandbox.keys import TokenIssuer
from steward.providers.whop.sandbox.messaging import APP_USER
from steward.providers.whop.sandbox.state import JSON, SandboxError, Sent, Store

__all__ = ["APP_USER", "DeliveryRecord", "Faults", "SandboxError", "Sent", "WhopSandbox"]


class WhopSandbox:
    def __init__(
        self,
        webhook_url: str,
        webhook_secret: str,
        api_keys: Iterable[str],
        *,
        now: Callable[[], float] | None = None,
        backoff: tuple[float, ...] = BACKOFF,
    ) -> None:
        self.webhook_url, self.webhook_secret = webhook_url, webhook_secret
        self.api_keys = frozenset(api_keys)
        if not self.api_keys:
            raise ValueError("the sandbox needs at least one API key")
        self.faults = Faults()
        self.tokens = TokenIssuer()
        self.store = Store(now or time.time)
        self._deliverer = Deliverer(
            lambda: (self.webhook_url, self.webhook_secret), self.faults, backoff
        )
        self.store.on_event = self._deliverer.enqueue
        self.app: FastAPI = build_app(self)

    # -- delivery ------------------------------------------------------------------------------
    def start(self) -> None:
        self._deliverer.start()

    def stop(self) -> None:
        self._deliverer.stop()

    def flush(self) -> int:
        """Release the events held by ``faults.reorder``, newest first; returns their count."""
        return self._deliverer.flush()

    def wait_idle(self, timeout: float = 10) -> bool:
        return self._deliverer.wait_idle(timeout)

    def configure_webhook(self, *, url: str | None = None, secret: str | None = None) -> None:
        """Point deliveries elsewhere, or sign with a new secret (rotation), from the next try."""
        if url is not None:
            self.webhook_url = url
        if secret is not None:
            if not secret:
                raise ValueError("the webhook secret cannot be empty")
            self.webhook_secret = secret

    @property
    def deliveries(self) -> list[DeliveryRecord]:
        return self._deliverer.records

    @property
    def events(self) -> list[JSON]:
        with self.store.lock:
            return copy.deepcopy(self.store.events)

    @property
    def sent(self) -> list[Sent]:
        """Every push notification and direct message accepted, oldest first."""
        with self.store.lock:
            return list(self.store.sent)

    # -- the world changes -----------------------------------------------------------------------
    def create_membership(self, spec: JSON | None = None) -> JSON:
        """A member checks out. ``spec`` may name ``user`` ({id, username, name}), ``company``
        ({id, title}), ``plan`` ({id, price (minor units), currency, billing_period_days}) and
        ``status`` (active, trialing or past_due); anything unnamed is made up."""
        with self.store.lock:
            return lifecycle.create(self.store, spec or {})

    def renew(
        self,
        membership_id: str,
        succeeded: bool,
        *,
        final: bool = False,
        message: str = "Your card has insufficient funds.",
    ) -> JSON:
        """One renewal attempt; ``final`` makes a failure the last retry (Whop then cancels)."""
        with self.store.lock:
            return lifecycle.renew(
                self.store, membership_id, succeeded, final=final, message=message
            )

    def membership(self, membership_id: str) -> JSON:
        with self.store.lock:
            return copy.deepcopy(self.store.membership(membership_id))
