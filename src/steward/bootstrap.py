"""The one place where Steward's parts are wired together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from steward import engine
from steward.alerts import wiring as alerts_wiring
from steward.alerts.service import AlertLog
from steward.config import Settings
from steward.db import Database
from steward.events.bus import DomainEventBus
from steward.executors import Heartbeat
from steward.flags.service import BUILTIN, Flags
from steward.inbox import repository as inbox_repo
from steward.inbox.handlers import HandlerRegistry
from steward.inbox.service import Inbox, RetryPolicy
from steward.inbox.worker import InboxWorkers
from steward.kit.clock import Clock
from steward.product import Product, load_product
from steward.providers.email import SmtpMailer
from steward.providers.stripe.gateway import StripeGateway
from steward.provisioning import workflows as provisioning_workflows
from steward.subscriptions import workflows as subscription_workflows
from steward.subscriptions.handlers import Handlers as SubscriptionHandlers
from steward.subscriptions.machine import Machine
from steward.tokens.service import TenantTokens
from steward.wallets import wiring as wallets_wiring


@dataclass
class Steward:
    settings: Settings
    db: Database
    product: Product
    clock: Clock
    registry: HandlerRegistry
    inbox: Inbox
    stripe: StripeGateway
    bus: DomainEventBus
    mailer: SmtpMailer
    flags: Flags
    tokens: TenantTokens
    machine: Machine
    workers: InboxWorkers | None = None
    heartbeat: Heartbeat | None = None
    # Domains add DBOS cron schedules (dbos.ScheduleInput dicts) and queues (name, options) here.
    schedules: list[Any] = field(default_factory=list)
    queues: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    executor_id: str = ""
    extras: dict[str, object] = field(default_factory=dict)
    alerts: AlertLog = field(init=False)  # alerts (issue 5)

    def backlog(self) -> inbox_repo.Backlog:
        with self.db.read() as session:
            return inbox_repo.backlog(session)

    def start(self, role: str, *, durable: bool = True, workers: int | None = None) -> None:
        """Launch the durable engine and the inbox workers for this process."""
        if durable:
            self.executor_id = engine.launch(self.settings, role, self)
        count = self.settings.inbox_workers if workers is None else workers
        if count:
            self.workers = InboxWorkers(self.inbox, count, self.settings.inbox_poll_seconds)
            self.workers.start()

    def stop(self, *, durable: bool = True) -> None:
        if self.workers is not None:
            self.workers.stop()
            self.workers = None
        if durable:
            engine.shutdown()
        self.db.dispose()


def build(
    settings: Settings, *, clock: Clock | None = None, product: Product | None = None
) -> Steward:
    clock = clock or Clock()
    product = product or load_product(settings.product)
    db = Database(settings.database_url)
    registry = HandlerRegistry()
    bus = DomainEventBus(clock, settings.app_version)
    machine = Machine(clock, bus)
    SubscriptionHandlers(product, clock, bus, machine).register(registry)
    bus.subscribe("subscription.trial_will_end", "steward.subscriptions.trial_notice")
    for key, handler in product.event_handlers.items():
        source, _, event_type = key.partition(":")
        registry.register(source, event_type, handler)
    inbox = Inbox(
        db,
        registry,
        clock,
        RetryPolicy(settings.max_attempts, settings.retry_base_seconds, settings.retry_max_seconds),
    )
    api_base = settings.stripe_api_base
    if not api_base and settings.sandbox:
        api_base = settings.public_url.rstrip("/") + "/sandbox/stripe"
    stripe = StripeGateway(settings.stripe_api_key, api_base)
    for event_type, names in product.domain_subscribers.items():
        for name in names:
            bus.subscribe(event_type, name)
    smtp_url = settings.smtp_url or f"smtp://127.0.0.1:{settings.sandbox_smtp_port}"
    mailer = SmtpMailer(smtp_url, settings.email_from)
    flags = Flags(db, clock, [*BUILTIN, *product.flags])
    tokens = TenantTokens(
        settings.tenant_token_keys,
        algorithm=settings.tenant_token_algorithm,
        audience=settings.tenant_token_audience,
        issuer=settings.public_url,
        ttl_seconds=settings.tenant_token_ttl_seconds,
        clock=clock,
    )
    steward = Steward(
        settings, db, product, clock, registry, inbox, stripe, bus, mailer, flags, tokens, machine
    )
    steward.schedules.extend(subscription_workflows.schedules(settings))
    provisioning_workflows.schedules_and_queues(steward)
    wallets_wiring.install(steward)  # wallets (issue 6): handlers, subscribers, schedules
    steward.alerts = alerts_wiring.install(steward)  # alerts (issue 5): rules, schedule, delivery
    return steward
