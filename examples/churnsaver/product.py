"""Churn Saver's product: a Whop app that companies install to win back members whose payment
failed. Each company is a Steward tenant; recovery (``steward.recovery``) opens a case per failed
membership payment, reminds at the company's offsets by Whop push and DM, offers free days,
and cancels or terminates when recovery fails, every action audited.

    STEWARD_PRODUCT=examples.churnsaver.product:product make run
"""

from __future__ import annotations

from steward.product import Plan, Product

# The app itself is free to install; what it recovers is the companies' own revenue.
product = Product(
    name="Churn Saver",
    plans=[Plan(key="install", name="Churn Saver", price=0, currency="usd")],
)
