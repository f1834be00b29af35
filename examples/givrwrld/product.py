"""GivrWrld's product: game servers by the month, each set up on the game panel after payment.

STEWARD_PRODUCT=examples.givrwrld.product:product make run
"""

from __future__ import annotations

from examples.givrwrld import provisioning, signup
from steward.product import Plan, Product

product = Product(
    name="GivrWrld",
    plans=[
        Plan(
            key="minecraft_4gb",
            name="Minecraft 4 GB",
            price=1299,
            provisioning=provisioning.STEPS,
        ),
        Plan(
            key="rust_8gb",
            name="Rust 8 GB",
            price=2499,
            provisioning=provisioning.STEPS,
        ),
    ],
    modules=signup.MODULES,
)
