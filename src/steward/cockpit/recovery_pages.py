"""The cockpit's recovery page: each company's KPIs over the last 30 days and a server-rendered
SVG chart of cases opened and recovered per week (no JavaScript, no chart library)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from steward.cockpit import web
from steward.recovery import company
from steward.recovery import repository as recovery_repo
from steward.recovery.schemas import Kpis

router = APIRouter(prefix="/cockpit", include_in_schema=False)
WEEKS = 8
WIDTH, HEIGHT, PAD = 640, 200, 24


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    height: int
    width: int
    value: int
    label: str
    kind: str  # opened | recovered


def chart(weeks: list[Kpis]) -> tuple[list[Bar], int]:
    """Two bars per week, scaled to the busiest week; returns the bars and the scale's top."""
    top = max([w.cases for w in weeks] + [1])
    slot = (WIDTH - 2 * PAD) // max(len(weeks), 1)
    bar = max(slot // 3, 2)
    usable = HEIGHT - 2 * PAD
    bars: list[Bar] = []
    for i, week in enumerate(weeks):
        for j, (kind, value) in enumerate((("opened", week.cases), ("recovered", week.recovered))):
            h = round(usable * value / top)
            bars.append(
                Bar(
                    x=PAD + i * slot + j * bar,
                    y=HEIGHT - PAD - h,
                    height=h,
                    width=bar - 1,
                    value=value,
                    label=f"{week.start:%d %b}",
                    kind=kind,
                )
            )
    return bars, top


@router.get("/recovery", response_class=HTMLResponse)
def recovery_page(request: Request) -> HTMLResponse:
    login = web.login(request)
    runtime = web.runtime(request)
    now = runtime.clock.now()
    chosen = request.query_params.get("company_id") or None
    with runtime.db.read() as session:
        companies = recovery_repo.companies(session)
        rows = [company.kpis(session, c, now - timedelta(days=30), now) for c in companies]
        target = chosen if chosen in companies else (companies[0] if companies else None)
        weeks = []
        if target is not None:
            start = now - timedelta(weeks=WEEKS)
            weeks = [
                company.kpis(
                    session, target, start + timedelta(weeks=i), start + timedelta(weeks=i + 1)
                )
                for i in range(WEEKS)
            ]
    bars, top = chart(weeks)
    return web.render(
        request,
        "recovery.html",
        login,
        rows=rows,
        companies=companies,
        target=target,
        bars=bars,
        top=top,
        width=WIDTH,
        height=HEIGHT,
        pad=PAD,
    )
