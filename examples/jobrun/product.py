"""JobRun's product: £49 a month with a 7-day trial, onboarding by SMS, its operator alerts and
its safe hard delete.

STEWARD_PRODUCT=examples.jobrun.product:product make run
"""

from __future__ import annotations

from examples.jobrun import alerts
from examples.jobrun import provisioning as numbers
from examples.jobrun.onboarding import FLOW
from steward.product import Plan, Product

product = Product(
    name="JobRun",
    plans=[
        Plan(
            key="standard",
            name="JobRun",
            price=4900,
            currency="gbp",
            trial_days=7,
            provisioning=numbers.STEPS,  # a number from the pool
        )
    ],
    default_region="GB",
    alert_rules=alerts.rules(FLOW),
    onboarding=FLOW,
    delete_checks=alerts.DELETE_CHECKS,
)
