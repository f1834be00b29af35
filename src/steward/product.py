"""How a product is declared: its plans, provisioning steps, meters, policies and its own code.

    from steward.product import Plan, Product

    product = Product(
        name="Acme",
        plans=[Plan(key="starter", name="Starter", price=2900, currency="gbp", trial_days=7)],
    )

Select it with ``STEWARD_PRODUCT=module:attribute``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from steward.checks import Check
from steward.errors import ConfigError, InvalidInput
from steward.flags.service import FlagSpec
from steward.steps import Step

if TYPE_CHECKING:  # type-only: these declarations' code runs on the runtime that holds the product
    from steward.alerts.rules import Rule
    from steward.cockpit.delete import DeleteCheck
    from steward.module import Module


@dataclass(frozen=True)
class Plan:
    key: str
    name: str
    price: int  # minor units per interval
    currency: str = "usd"
    interval: str = "month"
    trial_days: int = 0
    stripe_price_id: str = ""  # empty: the checkout uses inline price data
    grace_days: int = 7  # past_due this long, then the tenant is suspended
    cancel_policy: str = "period_end"  # or "immediate_in_trial": a trial ends at once
    dispute_policy: str = "suspend"  # on charge.dispute.created: "suspend" or "none"
    refund_policy: str = "none"  # on charge.refunded: "suspend" or "none"
    provisioning: tuple[Step, ...] = ()  # run in order on activation; undone in reverse on deletion
    suspend_steps: tuple[Step, ...] = ()  # on tenant.suspend_requested
    resume_steps: tuple[Step, ...] = ()  # on tenant.resume_requested

    def __post_init__(self) -> None:
        if self.price < 0:
            raise ConfigError(f"plan {self.key}: price must not be negative")
        if self.trial_days < 0:
            raise ConfigError(f"plan {self.key}: trial_days must not be negative")
        if len(self.currency) != 3:
            raise ConfigError(f"plan {self.key}: currency must be a 3-letter ISO code")


@dataclass(frozen=True)
class Meter:
    """A priced unit of usage, debited from the tenant's wallet in ``currency`` (wallets)."""

    key: str  # e.g. "voice_minutes"; usage names it
    unit_price: int  # minor units per unit below
    per: str = "unit"  # "unit", "second" or "started_minute" (quantities arrive in seconds)
    currency: str = "usd"

    def __post_init__(self) -> None:
        if self.unit_price < 0:
            raise ConfigError(f"meter {self.key}: unit_price must not be negative")
        if self.per not in ("unit", "second", "started_minute"):
            raise ConfigError(f"meter {self.key}: per must be unit, second or started_minute")
        if len(self.currency) != 3:
            raise ConfigError(f"meter {self.key}: currency must be a 3-letter ISO code")

    def price(self, quantity: int) -> int:
        """Minor units for ``quantity`` (seconds for time meters): a started minute is a minute."""
        units = -(-quantity // 60) if self.per == "started_minute" else quantity
        return units * self.unit_price


@dataclass(frozen=True)
class Product:
    name: str
    plans: list[Plan]
    default_region: str = "GB"  # for phone numbers typed without a country code
    help_text: str = ""  # the SMS answer to HELP; empty: a generic one naming the product
    # Identities that may have only one trial: "email", "phone", "card", "email_domain".
    trial_identity: tuple[str, ...] = ("email", "phone", "card")
    # The product's own code: inbox handlers, domain-event subscribers, schedules (steward.module).
    modules: tuple[Module, ...] = ()
    # Kill switches of the product's own, beside the built-in ones (runtime.flags.service.BUILTIN).
    flags: list[FlagSpec] = field(default_factory=list)
    # Usage meters, priced into wallet debits (steward.wallets).
    meters: list[Meter] = field(default_factory=list)
    # Alert rules (steward.alerts.rules.Rule): override defaults by key, add, or disable.
    alert_rules: list[Rule] = field(default_factory=list)
    # Hard-delete checks (steward.cockpit.delete.DeleteCheck): all must pass to delete a tenant.
    delete_checks: list[DeleteCheck] = field(default_factory=list)
    # Launch checks of the product's own (steward.checks.Check), run by ``steward preflight``.
    preflight: tuple[Check, ...] = ()

    def __post_init__(self) -> None:
        keys = [p.key for p in self.plans]
        if not keys:
            raise ConfigError(f"product {self.name}: declare at least one plan")
        if len(set(keys)) != len(keys):
            raise ConfigError(f"product {self.name}: plan keys must be unique")

    def plan(self, key: str | None) -> Plan:
        if key is None:
            return self.plans[0]
        for plan in self.plans:
            if plan.key == key:
                return plan
        known = ", ".join(p.key for p in self.plans)
        raise InvalidInput(f"plan: unknown plan {key!r}; known plans: {known}", field="plan")


def load_product(spec: str) -> Product:
    """Load ``module:attribute``; a clear ConfigError when it does not resolve to a Product."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"STEWARD_PRODUCT={spec!r}: expected 'module:attribute'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"STEWARD_PRODUCT={spec!r}: cannot import {module_name}: {exc}") from exc
    value = getattr(module, attribute, None)
    if not isinstance(value, Product):
        raise ConfigError(f"STEWARD_PRODUCT={spec!r}: {attribute} is not a runtime Product")
    return value
