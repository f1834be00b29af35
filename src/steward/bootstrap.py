"""The one composition root: the modules in order, and the runtime they run on.

Entry points (the app, the CLI, tests, benchmarks) call ``build``; nothing else imports this file.
Registration fails at start-up on a duplicate route, handler, schedule, queue, command or
subscription, and on a subscriber that is not a DBOS workflow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from steward.alerts.module import MODULE as ALERTS
from steward.alerts.service import AlertLog
from steward.audit.module import MODULE as AUDIT
from steward.cockpit.module import MODULE as COCKPIT
from steward.config import Settings
from steward.customers.module import MODULE as CUSTOMERS
from steward.db import Database
from steward.engine import Engine
from steward.errors import ConfigError
from steward.events.bus import DomainEventBus
from steward.flags.module import MODULE as FLAGS
from steward.flags.service import BUILTIN, Flags
from steward.inbox.handlers import HandlerRegistry
from steward.inbox.module import MODULE as INBOX
from steward.inbox.service import Inbox, RetryPolicy
from steward.inbox.worker import InboxWorkers
from steward.kit.clock import Clock
from steward.messaging.module import MODULE as MESSAGING
from steward.module import Module, On, Queue, Schedule, Subscribe
from steward.onboarding.module import MODULE as ONBOARDING
from steward.ops.module import MODULE as OPS
from steward.orders.module import MODULE as ORDERS
from steward.pools.module import MODULE as POOLS
from steward.preflight.module import MODULE as PREFLIGHT
from steward.product import Product, load_product
from steward.providers.email import SmtpMailer
from steward.providers.stripe.gateway import StripeGateway
from steward.providers.twilio.gateway import TwilioGateway
from steward.providers.vapi import VapiClient
from steward.providers.whop.gateway import WhopGateway
from steward.provisioning.module import MODULE as PROVISIONING
from steward.recovery.module import MODULE as RECOVERY
from steward.runtime import Runtime
from steward.signup.module import MODULE as SIGNUP
from steward.subscriptions.module import MODULE as SUBSCRIPTIONS
from steward.tenants.deletion import DEFAULT_CHECKS, TenantDeletion
from steward.tenants.module import MODULE as TENANTS
from steward.tokens.service import TenantTokens
from steward.wallets.module import MODULE as WALLETS

# In order: a module's services may be used by the modules after it.
MODULES: tuple[Module, ...] = (
    OPS,
    AUDIT,
    FLAGS,
    INBOX,
    TENANTS,
    MESSAGING,
    SUBSCRIPTIONS,
    PROVISIONING,
    POOLS,
    ORDERS,
    WALLETS,
    RECOVERY,
    ALERTS,
    ONBOARDING,
    CUSTOMERS,
    SIGNUP,
    COCKPIT,
    PREFLIGHT,
)


@dataclass
class Steward:
    """One process's Steward: the runtime, the composed modules, and what runs in the background
    (the durable engine and the inbox workers) once ``start`` is called."""

    runtime: Runtime
    modules: tuple[Module, ...]
    engine: Engine
    workers: InboxWorkers | None = field(default=None)

    @property
    def inbox(self) -> Inbox:
        return self.runtime.service(Inbox)

    def start(self, role: str, *, durable: bool = True, workers: int | None = None) -> None:
        """Launch the durable engine and the inbox workers for this process."""
        if durable:
            self.engine.launch(role)
        settings = self.runtime.settings
        count = settings.inbox_workers if workers is None else workers
        if count:
            self.workers = InboxWorkers(self.inbox, count, settings.inbox_poll_seconds)
            self.workers.start()

    def stop(self, *, durable: bool = True) -> None:
        if self.workers is not None:
            self.workers.stop()
            self.workers = None
        if durable:
            self.engine.shutdown()
        self.runtime.db.dispose()


def runtime_for(settings: Settings, clock: Clock, product: Product) -> Runtime:
    api_base = settings.stripe_api_base
    if not api_base and settings.sandbox:
        api_base = settings.public_url.rstrip("/") + "/sandbox/stripe"
    vapi_base = settings.vapi_api_base
    if not vapi_base and settings.sandbox:
        vapi_base = settings.public_url.rstrip("/") + "/sandbox/vapi"
    twilio_base = settings.twilio_api_base
    if not twilio_base and settings.sandbox:
        twilio_base = settings.public_url.rstrip("/") + "/sandbox/twilio"
    whop_base = settings.whop_api_base
    if not whop_base and settings.sandbox:
        whop_base = settings.public_url.rstrip("/") + "/sandbox/whop/api/v1"
    smtp_url = settings.smtp_url or f"smtp://127.0.0.1:{settings.sandbox_smtp_port}"
    db = Database(settings.database_url)
    return Runtime(
        settings=settings,
        db=db,
        clock=clock,
        product=product,
        bus=DomainEventBus(clock, settings.app_version),
        flags=Flags(db, clock, [*BUILTIN, *product.flags]),
        mailer=SmtpMailer(smtp_url, settings.email_from),
        stripe=StripeGateway(settings.stripe_api_key, api_base),
        vapi=VapiClient(vapi_base or "https://api.vapi.ai", settings.vapi_api_key),
        twilio=TwilioGateway(settings.twilio_account_sid, settings.twilio_auth_token, twilio_base),
        whop=WhopGateway(settings.whop_api_key, whop_base),
        tokens=TenantTokens(
            settings.tenant_token_keys,
            algorithm=settings.tenant_token_algorithm,
            audience=settings.tenant_token_audience,
            issuer=settings.public_url,
            ttl_seconds=settings.tenant_token_ttl_seconds,
            clock=clock,
        ),
    )


def build(
    settings: Settings, *, clock: Clock | None = None, product: Product | None = None
) -> Steward:
    product = product or load_product(settings.product)
    return compose(runtime_for(settings, clock or Clock(), product))


def compose(runtime: Runtime) -> Steward:
    """The modules composed on ``runtime`` (``build`` makes the real one; unit tests pass one
    made of in-memory fakes)."""
    settings, product = runtime.settings, runtime.product
    modules = (*MODULES, *product.modules)
    _unique("module", [m.name for m in modules])
    registry = HandlerRegistry()
    runtime.services.add(
        Inbox(
            runtime,
            registry,
            RetryPolicy(
                settings.max_attempts, settings.retry_base_seconds, settings.retry_max_seconds
            ),
        )
    )
    schedules: list[Schedule] = []
    queues: list[Queue] = []
    for module in modules:
        if module.setup is not None:
            module.setup(runtime)
        handlers: list[On] = list(module.handlers)
        subscribers: list[Subscribe] = list(module.subscribers)
        if module.extend is not None:
            extension = module.extend(runtime)
            handlers.extend(extension.handlers)
            subscribers.extend(extension.subscribers)
        for on in handlers:
            for event_type in on.types:
                registry.register(on.source, event_type, on.handler)
        for sub in subscribers:
            runtime.bus.subscribe(sub.event_type, sub.workflow)
        schedules.extend(module.schedules)
        queues.extend(module.queues)
    runtime.services.add(
        TenantDeletion(
            # children first: a module's rows may reference those of the modules before it
            hooks=[(m.name, m.delete_tenant) for m in reversed(modules) if m.delete_tenant],
            checks=product.delete_checks or DEFAULT_CHECKS,
            muted=runtime.service(AlertLog).is_muted,
            bus=runtime.bus,
            clock=runtime.clock,
        )
    )
    _unique("schedule", [s.name for s in schedules])
    _unique("queue", [q.name for q in queues])
    _unique("command", [c.name for m in modules for c in m.commands])
    return Steward(runtime, modules, Engine(runtime, schedules, queues))


def _unique(kind: str, names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ConfigError(f"{kind} {name!r} is declared twice")
        seen.add(name)
