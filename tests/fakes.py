"""In-memory fakes of the runtime's outside parts, for the unit tier: no server, no network.

- ``memory_database()``: an in-memory SQLite ``Database`` with every migration applied (migrated
  once per process into a template, then copied with SQLite's backup API, so a test pays
  milliseconds, not a migration run);
- ``TestClock`` (``steward.kit.clock``): a clock that stands still until advanced;
- ``FakeMailer``: records what would have been sent;
- ``FakeStripe``: answers a checkout with a canned session (one per idempotency key, as Stripe
  does) and records the calls;
- ``FakeBus``: the real domain-event bus, storing each event, but starting no workflow (there is
  no durable engine here); ``published`` lists what was published;
- ``fake_runtime()``: a ``Steward`` composed by bootstrap on a runtime made of the above.

Every fake subclasses the real part, so the runtime's types hold."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from steward import migrate
from steward.bootstrap import Steward, compose
from steward.config import Settings
from steward.db import Database
from steward.events.bus import DomainEventBus
from steward.events.models import DomainEvent
from steward.flags.service import BUILTIN, Flags
from steward.kit.clock import TestClock
from steward.product import Product, load_product
from steward.providers.email import EmailMessage, SmtpMailer
from steward.providers.stripe.gateway import CheckoutSession, StripeGateway
from steward.providers.twilio import TwilioGateway
from steward.providers.vapi import VapiClient
from steward.providers.whop import WhopGateway
from steward.runtime import Runtime
from steward.tokens.service import TenantTokens

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_template: sqlite3.Connection | None = None


class MemoryDatabase(Database):
    """A private in-memory SQLite database. Its connections share one cache (so a read beside an
    open write transaction sees the same database) and read uncommitted rows rather than wait on
    a table lock, which shared-cache SQLite would report as an error instead of waiting."""

    def __init__(self) -> None:
        name = f"file:steward-{uuid.uuid4().hex}?mode=memory&cache=shared&uri=true"
        super().__init__(f"sqlite:///{name}", poolclass=QueuePool)
        event.listen(self.engine, "connect", _read_uncommitted)
        self._keeper = self.engine.raw_connection()  # the database lives while one is open

    def dispose(self) -> None:
        self._keeper.close()
        super().dispose()


def _read_uncommitted(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA read_uncommitted=1")


def memory_database() -> MemoryDatabase:
    global _template
    if _template is None:
        template = MemoryDatabase()
        migrate.up(template)
        _template = sqlite3.connect(":memory:")
        with template.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert isinstance(raw, sqlite3.Connection)
            raw.backup(_template)
        template.dispose()
    db = MemoryDatabase()
    raw = db._keeper.dbapi_connection
    assert isinstance(raw, sqlite3.Connection)
    _template.backup(raw)
    return db


@dataclass(frozen=True)
class Sent:
    message: EmailMessage
    idempotency_key: str


class FakeMailer(SmtpMailer):
    def __init__(self) -> None:
        super().__init__("smtp://mail.invalid:25", "steward@example.com")
        self.sent: list[Sent] = []

    def send(self, message: EmailMessage, idempotency_key: str) -> str:
        self.sent.append(Sent(message, idempotency_key))
        return f"<{idempotency_key}@example.com>"


class FakeStripe(StripeGateway):
    def __init__(self) -> None:
        super().__init__("sk_test_fake", "http://stripe.invalid")
        self.checkouts: dict[str, dict[str, Any]] = {}  # idempotency key -> the call's arguments
        self._sessions: dict[str, CheckoutSession] = {}

    def create_checkout_session(self, **kwargs: Any) -> CheckoutSession:
        key = str(kwargs["idempotency_key"])
        if key not in self._sessions:
            n = len(self._sessions) + 1
            self._sessions[key] = CheckoutSession(
                id=f"cs_test_fake{n}", url=f"https://checkout.invalid/c/pay/cs_test_fake{n}"
            )
            self.checkouts[key] = kwargs
        return self._sessions[key]


class FakeBus(DomainEventBus):
    """Stores every domain event like the real bus; starts none of its subscribers' workflows."""

    def __init__(self, clock: TestClock) -> None:
        super().__init__(clock, "test")
        self.published: list[DomainEvent] = []

    def subscribers(self, event_type: str) -> list[str]:
        return []

    def publish(
        self,
        session: Session,
        event_type: str,
        *,
        tenant_id: str | None = None,
        data: dict[str, Any] | None = None,
        cause_event_id: int | None = None,
    ) -> DomainEvent:
        published = super().publish(
            session, event_type, tenant_id=tenant_id, data=data, cause_event_id=cause_event_id
        )
        self.published.append(published)
        return published

    def types(self) -> list[str]:
        return [e.type for e in self.published]


@dataclass
class Fakes:
    steward: Steward
    clock: TestClock
    mailer: FakeMailer
    stripe: FakeStripe
    bus: FakeBus
    db: MemoryDatabase = field(repr=False)

    @property
    def runtime(self) -> Runtime:
        return self.steward.runtime

    def count(self, table: str, **where: object) -> int:
        """Rows of ``table`` matching ``where`` (a test's look at the result, not the code's)."""
        clause = " AND ".join(f"{k} = :{k}" for k in where) or "1 = 1"
        with self.db.read() as session:
            return int(
                session.execute(
                    sa.text(f"SELECT count(*) FROM {table} WHERE {clause}"), where
                ).scalar_one()
            )


def fake_runtime(product: Product | str | None = None, **settings: Any) -> Fakes:
    """A composed Steward on fakes; ``settings`` override ``Settings`` fields."""
    config = Settings(
        **{"database_url": "sqlite://", "sandbox": False, "inbox_workers": 0, **settings}
    )
    clock = TestClock(START)
    db = memory_database()
    mailer, stripe, bus = FakeMailer(), FakeStripe(), FakeBus(clock)
    chosen = product if isinstance(product, Product) else load_product(product or config.product)
    runtime = Runtime(
        settings=config,
        db=db,
        clock=clock,
        product=chosen,
        bus=bus,
        flags=Flags(db, clock, [*BUILTIN, *chosen.flags], ttl=0),
        mailer=mailer,
        stripe=stripe,
        vapi=VapiClient("http://vapi.invalid", config.vapi_api_key),
        whop=WhopGateway(config.whop_api_key, "http://whop.invalid/api/v1"),
        twilio=TwilioGateway(
            config.twilio_account_sid, config.twilio_auth_token, "http://twilio.invalid"
        ),
        tokens=TenantTokens(
            config.tenant_token_keys,
            algorithm=config.tenant_token_algorithm,
            audience=config.tenant_token_audience,
            issuer=config.public_url,
            ttl_seconds=config.tenant_token_ttl_seconds,
            clock=clock,
        ),
    )
    return Fakes(compose(runtime), clock, mailer, stripe, bus, db)


@contextmanager
def fakes(product: Product | str | None = None, **settings: Any) -> Iterator[Fakes]:
    made = fake_runtime(product, **settings)
    try:
        yield made
    finally:
        made.db.dispose()
