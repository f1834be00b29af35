"""Syston's product: a club website, starter and pro, each provisioned by its own steps.

STEWARD_PRODUCT=examples.syston.product:product make run
"""

from __future__ import annotations

from examples.syston import provisioning
from steward.product import Plan, Product

product = Product(
    name="Syston",
    plans=[
        Plan(
            key="starter",
            name="Starter",
            price=1900,
            currency="gbp",
            provisioning=provisioning.STARTER,
        ),
        Plan(
            key="pro",
            name="Pro",
            price=4900,
            currency="gbp",
            provisioning=provisioning.PRO,
        ),
    ],
)
