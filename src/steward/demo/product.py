"""The demo product: one plan with a 7-day trial, one without."""

from __future__ import annotations

from steward.product import Plan, Product

product = Product(
    name="Steward Demo",
    plans=[
        Plan(key="starter", name="Starter", price=2900, currency="gbp", trial_days=7),
        Plan(key="pro", name="Pro", price=9900, currency="gbp", trial_days=0),
    ],
)
