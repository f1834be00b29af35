"""The guarded transition helper on an in-memory SQLite table of its own: the table decides,
the row is returned as updated, a refused move changes nothing and says what, from and to."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from steward.errors import IllegalTransition, NotFound
from steward.kit.repository import get_or_404, page
from steward.kit.transitions import Moved, sources_of, transition


class Light(StrEnum):
    RED = "red"  # stop
    GREEN = "green"  # go
    AMBER = "amber"  # about to stop
    OFF = "off"  # broken (final)


TABLE: dict[Light, frozenset[Light]] = {
    Light.RED: frozenset({Light.GREEN, Light.OFF}),
    Light.GREEN: frozenset({Light.AMBER, Light.OFF}),
    Light.AMBER: frozenset({Light.RED, Light.OFF}),
    Light.OFF: frozenset(),
}


class Base(DeclarativeBase):
    pass


class Signal(Base):
    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[Light] = mapped_column(
        sa.Enum(Light, native_enum=False, values_callable=lambda e: [m.value for m in e])
    )
    changes: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(sa.String(50))


@pytest.fixture
def session() -> Iterator[Session]:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Signal(id=1, status=Light.RED), Signal(id=2, status=Light.GREEN)])
        s.flush()
        yield s
    engine.dispose()


def move(session: Session, ident: int, target: Light, **kw: object) -> Moved[Light]:
    return transition(session, Signal, {"id": ident}, target, table=TABLE, what="signal", **kw)  # type: ignore[arg-type]


def state(session: Session, ident: int) -> Light:
    return session.execute(sa.select(Signal.status).where(Signal.id == ident)).scalar_one()


def test_sources_are_read_from_the_table() -> None:
    assert sources_of(TABLE, Light.OFF) == (Light.RED, Light.GREEN, Light.AMBER)
    assert sources_of(TABLE, Light.GREEN) == (Light.RED,)


def test_an_allowed_move_updates_and_returns_the_row(session: Session) -> None:
    loaded = session.get(Signal, 1)
    assert loaded is not None
    moved = move(session, 1, Light.GREEN, values={"changes": Signal.changes + 1, "note": "go"})
    assert (moved.before, moved.after, moved.changed) == (Light.RED, Light.GREEN, True)
    assert moved.row["status"] is Light.GREEN and moved.row["changes"] == 1
    assert moved.row["note"] == "go"
    assert state(session, 1) is Light.GREEN
    assert loaded.status is Light.GREEN and loaded.changes == 1  # the session's object follows


def test_a_refused_move_raises_and_changes_nothing(session: Session) -> None:
    with pytest.raises(IllegalTransition) as info:
        move(session, 1, Light.AMBER, values={"note": "never"})
    err = info.value
    assert err.code == "illegal_transition" and err.http_status == 409
    assert err.details == {"what": "signal", "id": "1", "from": "red", "to": "amber"}
    assert "signal 1 is red; it cannot become amber" in err.message
    assert session.execute(sa.select(Signal.note).where(Signal.id == 1)).scalar() is None
    assert state(session, 1) is Light.RED


def test_a_final_state_has_no_way_out(session: Session) -> None:
    move(session, 1, Light.OFF)
    for target in Light:
        with pytest.raises(IllegalTransition):
            move(session, 1, target)


def test_several_sources_report_the_true_before(session: Session) -> None:
    assert move(session, 2, Light.OFF).before is Light.GREEN


def test_expect_is_a_compare_and_swap(session: Session) -> None:
    with pytest.raises(IllegalTransition) as info:
        move(session, 2, Light.OFF, expect=Light.RED)  # the caller's read is stale
    assert info.value.details["from"] == "green"
    assert state(session, 2) is Light.GREEN
    with pytest.raises(IllegalTransition):  # the table refuses the move from the expected state
        move(session, 1, Light.AMBER, expect=Light.RED)
    assert move(session, 2, Light.AMBER, expect=Light.GREEN).before is Light.GREEN


def test_stay_refreshes_values_without_a_transition(session: Session) -> None:
    with pytest.raises(IllegalTransition):
        move(session, 1, Light.RED, expect=Light.RED)
    moved = move(session, 1, Light.RED, expect=Light.RED, stay=True, values={"note": "again"})
    assert not moved.changed and moved.row["note"] == "again"


def test_an_extra_guard_must_hold_too(session: Session) -> None:
    with pytest.raises(IllegalTransition) as info:
        move(session, 1, Light.GREEN, where=[Signal.note.is_not(None)])
    assert "guard" in info.value.message
    assert state(session, 1) is Light.RED


def test_record_runs_only_for_a_move_that_happened(session: Session) -> None:
    seen: list[tuple[Light, Light]] = []
    move(session, 1, Light.GREEN, record=lambda m: seen.append((m.before, m.after)))
    with pytest.raises(IllegalTransition):
        move(session, 1, Light.RED, record=lambda m: seen.append((m.before, m.after)))
    assert seen == [(Light.RED, Light.GREEN)]


def test_a_missing_row_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        move(session, 99, Light.GREEN)
    with pytest.raises(NotFound):
        move(session, 99, Light.OFF)


def test_a_core_table_and_a_composite_key_work_the_same(session: Session) -> None:
    table = Signal.__table__
    assert isinstance(table, sa.Table)
    moved = transition(
        session, table, {"id": 1, "status": Light.RED}, Light.GREEN, table=TABLE, what="signal"
    )
    assert moved.row["id"] == 1 and state(session, 1) is Light.GREEN
    with pytest.raises(IllegalTransition) as info:
        transition(session, table, {"id": 1, "changes": 0}, Light.RED, table=TABLE, what="signal")
    assert info.value.details["id"] == "id=1,changes=0"


def test_get_or_404_and_page(session: Session) -> None:
    assert get_or_404(session, Signal, 2, "signal").status is Light.GREEN
    with pytest.raises(NotFound) as info:
        get_or_404(session, Signal, 7, "signal")
    assert info.value.message == "signal 7 does not exist"
    session.add_all([Signal(id=i, status=Light.RED) for i in range(3, 13)])
    session.flush()
    stmt = sa.select(Signal).where(Signal.status == Light.RED).order_by(Signal.id.desc())
    rows, total = page(session, stmt, 3, 2)
    assert [r.id for r in rows] == [10, 9, 8] and total == 11
    rows, total = page(session, stmt, 3, 0, cap=4)
    assert len(rows) == 3 and total == 5  # counted no further than the cap plus one
