"""The typed runtime every domain receives: what the whole service shares (settings, database,
clock, event bus, kill switches, mail, provider clients, the product, tenant tokens), plus the
services that domains build for each other, looked up by their type.

Bootstrap builds one per process. Endpoints get it from ``steward.api.deps``; workflow steps,
which DBOS calls as plain module functions, from ``current()``; CLI commands from the typer
context (``steward.clikit``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, cast

from steward.config import Settings
from steward.db import Database
from steward.errors import ConfigError
from steward.events.bus import DomainEventBus
from steward.flags.service import Flags
from steward.kit.clock import Clock
from steward.product import Product
from steward.providers.email import SmtpMailer
from steward.providers.stripe.gateway import StripeGateway
from steward.providers.twilio.gateway import TwilioGateway
from steward.providers.vapi import VapiClient
from steward.providers.whop.gateway import WhopGateway
from steward.tokens.service import TenantTokens

T = TypeVar("T")


class Services:
    """Domain services by type: the domain that owns one adds it at start-up, others get it."""

    def __init__(self) -> None:
        self._by_type: dict[type, object] = {}

    def add(self, service: object) -> None:
        kind = type(service)
        if kind in self._by_type:
            raise ConfigError(f"{kind.__name__} is registered twice")
        self._by_type[kind] = service

    def get(self, kind: type[T]) -> T:
        try:
            return cast(T, self._by_type[kind])
        except KeyError:
            raise ConfigError(
                f"no {kind.__name__} in this runtime: is its module listed?"
            ) from None


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    product: Product
    bus: DomainEventBus
    flags: Flags
    mailer: SmtpMailer
    stripe: StripeGateway
    vapi: VapiClient
    twilio: TwilioGateway
    whop: WhopGateway
    tokens: TenantTokens
    services: Services = field(default_factory=Services)

    def service(self, kind: type[T]) -> T:
        return self.services.get(kind)


_current: Runtime | None = None


def bind(runtime: Runtime | None) -> None:
    """Make ``runtime`` the one workflow steps of this process see (None when it stops)."""
    global _current
    _current = runtime


def current() -> Runtime:
    if _current is None:
        raise ConfigError("Steward is not running in this process")
    return _current
