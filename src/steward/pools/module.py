"""Pools refilled from Twilio below their watermark (the pools themselves belong to
provisioning, which allocates from them)."""

from __future__ import annotations

from steward.module import Module, Subscribe
from steward.pools import workflows

MODULE = Module(
    name="pools",
    subscribers=(
        Subscribe("pool.low", workflows.replenish_workflow),
        Subscribe("pool.empty", workflows.replenish_workflow),
    ),
    tables=("pool_purchases",),
)
