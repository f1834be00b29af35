"""Helpers every repository shares: get a row or 404, and a page of rows with their total."""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Session

from steward.errors import NotFound

M = TypeVar("M", bound=DeclarativeBase)
T = TypeVar("T")


def get_or_404(
    session: Session, model: type[M], ident: object, what: str, *, for_update: bool = False
) -> M:
    """The row of ``model`` with primary key ``ident``; ``NotFound`` (404) naming ``what``."""
    found = session.get(model, ident, with_for_update=for_update or None)
    if found is None:
        raise NotFound(f"{what} {ident} does not exist", what=what, id=str(ident))
    return found


def page(
    session: Session, stmt: sa.Select[T], limit: int, offset: int, *, cap: int | None = None
) -> tuple[list[T], int]:
    """One page of ``stmt`` (ordered as it is) and the number of rows it matches in all.

    ``cap``: count no further than this plus one, so a huge table answers fast; the caller shows
    a total above ``cap`` as "cap+"."""
    counted = stmt.order_by(None)
    if cap is not None:
        counted = counted.limit(cap + 1)
    total = session.execute(sa.select(sa.func.count()).select_from(counted.subquery())).scalar_one()
    rows = session.execute(stmt.limit(limit).offset(offset)).scalars()
    return list(rows), int(total)
