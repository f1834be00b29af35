"""Prepaid usage wallets: the ledger, usage, auto-recharge and reconciliation."""

from __future__ import annotations

from steward.module import Command, Module, Subscribe
from steward.wallets import deletion_repository, endpoints, handlers, recharge, workflows
from steward.wallets.cli import reconcile_app, wallet_app

MODULE = Module(
    name="wallets",
    routers=(endpoints.webhooks, endpoints.tenant_api, endpoints.admin),
    handlers=handlers.ON,
    subscribers=(Subscribe(recharge.REQUESTED, workflows.recharge_workflow),),
    schedules=workflows.SCHEDULES,
    commands=(Command("wallet", wallet_app), Command("reconcile", reconcile_app)),
    delete_tenant=deletion_repository.delete_tenant,
)
