"""Stripe, through the runtime's client: the plans' prices as declared, and a webhook endpoint at
our public URL enabled for every event type our handlers apply. Stripe's answers are read into
the few fields these checks compare, here at the edge."""

from __future__ import annotations

from dataclasses import dataclass

import stripe

from steward.checks import Check, Finding, Probe
from steward.inbox.service import Inbox


@dataclass(frozen=True)
class Endpoint:
    id: str
    url: str
    status: str
    events: frozenset[str]


@dataclass(frozen=True)
class Price:
    id: str
    active: bool
    currency: str
    unit_amount: int | None
    interval: str | None
    trial_days: int | None  # the price's own default trial (deprecated at Stripe), if any


def _endpoints(client: stripe.StripeClient) -> list[Endpoint]:
    return [
        Endpoint(str(e.id), str(e.url), str(e.status), frozenset(e.enabled_events or ()))
        for e in client.v1.webhook_endpoints.list({"limit": 100}).auto_paging_iter()
    ]


def _price(client: stripe.StripeClient, price_id: str) -> Price:
    p = client.v1.prices.retrieve(price_id).to_dict()
    recurring = p.get("recurring") or {}
    trial = recurring.get("trial_period_days")
    return Price(
        str(p["id"]),
        bool(p.get("active")),
        str(p.get("currency", "")),
        p.get("unit_amount"),
        recurring.get("interval"),
        int(trial) if trial else None,
    )


def webhook_endpoint(probe: Probe) -> Finding:
    runtime = probe.runtime
    url = runtime.settings.public_url.rstrip("/") + "/webhooks/stripe"
    needed = set(runtime.service(Inbox).registry.types("stripe"))
    endpoints = _endpoints(runtime.stripe.client)
    ours = [e for e in endpoints if e.url.rstrip("/") == url]
    evidence = (
        f"{len(endpoints)} endpoint(s) at Stripe; {len(ours)} at {url}; "
        f"we handle {len(needed)} type(s)"
    )
    if not ours:
        return Finding(
            False, evidence, f"add a webhook endpoint at {url} in Stripe with the types listed here"
        )
    best = min(ours, key=lambda e: len(needed - e.events) if "*" not in e.events else 0)
    missing = sorted(needed - best.events) if "*" not in best.events else []
    if best.status != "enabled":
        return Finding(
            False,
            f"{evidence}; {best.id} is {best.status}",
            f"enable webhook endpoint {best.id} in Stripe",
        )
    if missing:
        return Finding(
            False,
            f"{evidence}; {best.id} lacks {', '.join(missing)}",
            f"enable on {best.id}: {', '.join(missing)}",
        )
    return Finding(True, f"{evidence}; {best.id} is enabled for all of them")


def prices(probe: Probe) -> Finding:
    client = probe.runtime.stripe.client
    wrong: list[str] = []
    seen: list[str] = []
    for plan in probe.runtime.product.plans:
        if not plan.stripe_price_id:
            seen.append(f"{plan.key}: inline price data {plan.price} {plan.currency}")
            continue
        try:
            price = _price(client, plan.stripe_price_id)
        except stripe.InvalidRequestError as exc:
            wrong.append(f"{plan.key}: {plan.stripe_price_id} not found ({exc.user_message})")
            continue
        problems = [
            f"{name} {have} != {want}"
            for name, have, want in (
                ("amount", price.unit_amount, plan.price),
                ("currency", price.currency, plan.currency.lower()),
                ("interval", price.interval, plan.interval),
            )
            if have != want
        ]
        if price.trial_days is not None and price.trial_days != plan.trial_days:
            problems.append(f"trial {price.trial_days} != {plan.trial_days} days")
        if not price.active:
            problems.append("inactive")
        if problems:
            wrong.append(f"{plan.key}: {price.id} " + ", ".join(problems))
        else:
            seen.append(f"{plan.key}: {price.id} {price.unit_amount} {price.currency} ok")
    if wrong:
        return Finding(
            False,
            "; ".join(wrong + seen),
            "make each plan's stripe_price_id name a price with the plan's amount",
        )
    return Finding(True, "; ".join(seen))


CHECKS = (
    Check("stripe.prices", "Stripe products/prices match the plans", prices),
    Check(
        "stripe.webhook_endpoint",
        "Stripe webhook endpoint registered with every event type",
        webhook_endpoint,
    ),
)
