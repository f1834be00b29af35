"""One guarded transition for every state machine.

A machine declares its ``Status`` enum and its transition table (state -> the states it may move
to) once, beside each other in its ``models.py``; its repository moves a row with ``transition``:

    UPDATE <table> SET <state> = :target, <values>
     WHERE <key> AND <state> IN (<sources>) RETURNING *

where the sources are the states the table lets reach ``target``. The database decides, so two
concurrent moves from one state cannot both win: the loser matches no row and gets
``IllegalTransition`` (409, ``illegal_transition``), naming what, from and to. A row that does not
exist is ``NotFound``. The caller records the move (a transitions table, a timeline, the audit
log) in the same transaction, from the returned ``Moved`` or through ``record``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Session

from steward.errors import IllegalTransition, NotFound

E = TypeVar("E", bound=StrEnum)

Table = Mapping[E, Collection[E]]


@dataclass(frozen=True)
class Moved(Generic[E]):
    """A transition that happened: the state before, the state after, and the row as updated."""

    before: E
    after: E
    row: sa.RowMapping

    @property
    def changed(self) -> bool:
        return self.before is not self.after


def sources_of(table: Table[E], target: E) -> tuple[E, ...]:
    """The states from which ``target`` may be reached, in the table's order."""
    return tuple(s for s, targets in table.items() if target in targets)


def transition(
    session: Session,
    model: type[DeclarativeBase] | sa.Table,
    key: Mapping[str, object],
    target: E,
    *,
    table: Table[E],
    what: str,
    column: str = "status",
    values: Mapping[str, object] | None = None,
    expect: E | None = None,
    stay: bool = False,
    where: Sequence[sa.ColumnElement[bool]] = (),
    record: Callable[[Moved[E]], None] | None = None,
) -> Moved[E]:
    """Move the row ``key`` (column name -> value) of ``model`` to ``target``, guarded by ``table``.

    ``expect``: the state the caller read (under its lock); the move then also requires the row to
    still be in it, and ``before`` costs nothing. Without it and with several possible sources,
    the current state is read under ``FOR UPDATE`` first, so ``before`` is exact.
    ``stay``: ``target`` equal to the current state is allowed (the other values are refreshed).
    ``where``: further guards the row must meet (e.g. "still the attempt in flight").
    ``values``: the other columns to set, SQL expressions allowed (``attempts + 1``).
    ``record``: called with the move, in the same transaction, when it happened.

    When ``model`` is a mapped class, objects of that row already in the session see the new
    values (``synchronize_session="fetch"``, which RETURNING makes free).
    """
    tbl = model if isinstance(model, sa.Table) else _table_of(model)
    state = tbl.c[column]
    ident = [tbl.c[name] == value for name, value in key.items()]
    if expect is not None:
        if not (target in table.get(expect, ()) or (stay and target is expect)):
            raise illegal(what, key, expect, target)
        sources: tuple[E, ...] = (expect,)
    else:
        sources = sources_of(table, target)
        if stay and target not in sources:
            sources += (target,)
    before = sources[0] if len(sources) == 1 else None
    if before is None:
        current = _current(session, tbl, state, ident, what, key, lock=True, enum=type(target))
        if current not in sources:
            raise illegal(what, key, current, target)
        before = current
    stmt = (
        sa.update(model)
        .where(*ident, state.in_(sources), *where)
        .values({column: target, **(values or {})})
        .returning(*tbl.c)
    )
    if not isinstance(model, sa.Table):
        stmt = stmt.execution_options(synchronize_session="fetch")
    row = session.execute(stmt).one_or_none()
    if row is None:
        current = _current(session, tbl, state, ident, what, key, lock=False, enum=type(target))
        raise illegal(what, key, current, target, guarded=bool(where) and current in sources)
    moved = Moved(before=before, after=target, row=row._mapping)
    if record is not None:
        record(moved)
    return moved


def illegal(
    what: str, key: Mapping[str, object], current: StrEnum, target: StrEnum, guarded: bool = False
) -> IllegalTransition:
    """The stable error for a move the table (or a guard) refuses."""
    ident = _describe(key)
    why = "its guard does not hold" if guarded else "the transition table does not allow it"
    return IllegalTransition(
        f"{what} {ident} is {current.value}; it cannot become {target.value} ({why})",
        what=what,
        id=ident,
        **{"from": current.value, "to": target.value},
    )


def _current(
    session: Session,
    tbl: sa.Table,
    state: sa.Column[object],
    ident: list[sa.ColumnElement[bool]],
    what: str,
    key: Mapping[str, object],
    *,
    lock: bool,
    enum: type[E],
) -> E:
    stmt = sa.select(state).where(*ident)
    if lock:
        stmt = stmt.with_for_update()
    value = session.execute(stmt).scalar_one_or_none()
    if value is None:
        raise NotFound(f"{what} {_describe(key)} does not exist", what=what, id=_describe(key))
    return enum(str(value))


def _describe(key: Mapping[str, object]) -> str:
    if len(key) == 1:
        return str(next(iter(key.values())))
    return ",".join(f"{name}={value}" for name, value in key.items())


def _table_of(model: type[DeclarativeBase]) -> sa.Table:
    tbl = model.__table__
    assert isinstance(tbl, sa.Table), f"{model.__name__} is not mapped to one table"
    return tbl
