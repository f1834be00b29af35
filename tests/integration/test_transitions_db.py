"""The guarded transition on both databases, through ``steward.db.Database`` (SQLite's
BEGIN IMMEDIATE and writer lock included): an allowed move updates and returns the row, a refused
one changes nothing, and of two concurrent moves from one state exactly one wins."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from enum import StrEnum

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from steward.db import Database
from steward.errors import IllegalTransition
from steward.kit.transitions import transition


class Door(StrEnum):
    CLOSED = "closed"  # shut
    OPEN = "open"  # someone opened it
    LOCKED = "locked"  # shut and locked
    GONE = "gone"  # removed (final)


TABLE: dict[Door, frozenset[Door]] = {
    Door.CLOSED: frozenset({Door.OPEN, Door.LOCKED, Door.GONE}),
    Door.OPEN: frozenset({Door.CLOSED, Door.GONE}),
    Door.LOCKED: frozenset({Door.CLOSED, Door.GONE}),
    Door.GONE: frozenset(),
}


class Base(DeclarativeBase):
    pass


class DoorRow(Base):
    __tablename__ = "test_doors"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[Door] = mapped_column(
        sa.Enum(Door, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    opened_by: Mapped[str | None] = mapped_column(sa.String(40))


@pytest.fixture
def database(db: tuple[str, str]) -> Iterator[Database]:
    database = Database(db[0])
    Base.metadata.create_all(database.engine)
    with database.transaction() as session:
        session.add(DoorRow(id=1, status=Door.CLOSED))
    yield database
    database.dispose()


def move(session: Session, target: Door, who: str) -> None:
    transition(
        session, DoorRow, {"id": 1}, target, table=TABLE, what="door", values={"opened_by": who}
    )


def row(database: Database) -> tuple[Door, str | None]:
    with database.read() as session:
        found = session.get(DoorRow, 1)
        assert found is not None
        return found.status, found.opened_by


def test_allowed_move_updates_and_returns_the_row(database: Database) -> None:
    with database.transaction() as session:
        moved = transition(
            session, DoorRow, {"id": 1}, Door.OPEN, table=TABLE, what="door",
            values={"opened_by": "ann"},
        )  # fmt: skip
        assert moved.before is Door.CLOSED and moved.row["status"] is Door.OPEN
        assert moved.row["opened_by"] == "ann"
    assert row(database) == (Door.OPEN, "ann")


def test_refused_move_raises_and_changes_nothing(database: Database) -> None:
    with pytest.raises(IllegalTransition) as info, database.transaction() as session:
        session.add(DoorRow(id=2, status=Door.CLOSED))  # rolled back with the refusal
        transition(session, DoorRow, {"id": 1}, Door.CLOSED, table=TABLE, what="door")
    assert info.value.details == {"what": "door", "id": "1", "from": "closed", "to": "closed"}
    assert row(database) == (Door.CLOSED, None)
    with database.read() as session:
        assert session.get(DoorRow, 2) is None


@pytest.mark.parametrize("target", [Door.OPEN, Door.GONE], ids=["one-source", "many-sources"])
def test_two_concurrent_moves_from_one_state_one_wins(database: Database, target: Door) -> None:
    """On PostgreSQL both transactions have read the door closed before either moves it; the
    second UPDATE waits on the first's row lock, then finds the state changed. On SQLite the
    writers queue on the write lock and the second sees the first's commit."""
    concurrent = database.dialect == "postgresql"
    both_read = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def attempt(who: str) -> None:
        try:
            with database.transaction() as session:
                assert session.get(DoorRow, 1) is not None
                if concurrent:
                    both_read.wait()
                move(session, target, who)
            outcomes[who] = "won"
        except IllegalTransition as exc:
            outcomes[who] = f"refused from {exc.details['from']}"

    threads = [threading.Thread(target=attempt, args=(who,)) for who in ("ann", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes.values()) == ["refused from " + target.value, "won"], outcomes
    winner = next(who for who, outcome in outcomes.items() if outcome == "won")
    assert row(database) == (target, winner)
