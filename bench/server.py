"""The server under test, in a process of its own: Steward's app plus a bare route.

    python -m bench.server --port 8123

Settings come from ``STEWARD_*`` variables set by the caller (bench.ingest). The bare route,
``POST /bench/bare``, goes through the same app, middleware, route matching and uvicorn as the
webhook but does no work, so the two rates compare the webhook's own cost with the server's
floor.
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI

from steward.app import create_app
from steward.config import Settings


async def bare() -> dict[str, object]:
    return {}


def _serves(route: object, path: str) -> bool:
    """Whether a top-level route (or an included router) serves ``path``."""
    if getattr(route, "path", None) == path:
        return True
    included = getattr(getattr(route, "original_router", None), "routes", None) or []
    return any(getattr(r, "path", None) == path for r in included)


def add_bare_route(app: FastAPI) -> None:
    """Add ``/bench/bare`` just before the webhook's route, so that both go through the same
    middleware and the same number of route matches (routes are matched in order)."""
    app.add_api_route("/bench/bare", bare, methods=["POST", "GET"])
    routes = app.router.routes
    route = routes.pop()
    index = next((i for i, r in enumerate(routes) if _serves(r, "/webhooks/stripe")), len(routes))
    routes.insert(index, route)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app(Settings())
    add_bare_route(app)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        workers=1,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
