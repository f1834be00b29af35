"""Voxanne's product: organizations pay for AI voice calls from a prepaid wallet in pence, at
a price per started minute, with a 500p debt limit (STEWARD_WALLET_DEFAULT_DEBT_LIMIT), top-ups
and auto-recharge through Stripe, and a daily reconciliation of the call provider's records.

    STEWARD_PRODUCT=examples.voxanne.product:product make run
"""

from __future__ import annotations

from steward.product import Meter, Plan, Product

PENCE_PER_STARTED_MINUTE = 49  # £0.49 a started minute

product = Product(
    name="Voxanne",
    plans=[Plan(key="payg", name="Pay as you go", price=0, currency="gbp")],
    meters=[
        Meter(
            key="voice_minutes",
            unit_price=PENCE_PER_STARTED_MINUTE,
            per="started_minute",
            currency="gbp",
        )
    ],
)
