"""Syston's product: a club website, starter and pro, each provisioned by its own steps.

STEWARD_PRODUCT=examples.syston.product:product make run
"""

from __future__ import annotations

from examples.syston import onboarding, provisioning
from steward.product import Plan, Product
from steward.signup.spec import PlanInputs, SignupSpec, declare

# The public 3-step wizard (basic info → branding → plan). Unlike Syston's own: 15-minute step
# tokens, unique slugs, verified emails before anything goes live, a kill switch that fails closed.
SIGNUP = SignupSpec(
    plans={
        "starter": PlanInputs(urls=(provisioning.MAKE_WEBHOOK,)),
        "pro": PlanInputs(confirm=True),
    },
    slug_collision="suggest",
    one_tenant_per_email=False,
    provision_unverified=False,
)

product = Product(
    name="Syston",
    plans=[
        Plan(
            key="starter",
            name="Starter",
            price=1900,
            currency="gbp",
            trial_days=14,  # the owner is emailed before it ends (Stripe's trial_will_end)
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
    modules=(declare(SIGNUP),),
    onboarding=onboarding.FLOW,  # the wizard's steps are this flow's states (web channel)
)
