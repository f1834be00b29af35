"""Webhook endpoints and the price list in the sandbox, as Stripe's API has them.

``/v1/webhook_endpoints``: create (``url`` and ``enabled_events`` required; the signing
``secret`` is shown only on create), list, retrieve, update (``disabled`` sets the status) and
delete. The sandbox registers one endpoint of its own at start, its ``webhook_url`` with every
event (``*``), as ``stripe listen`` forwards everything; delete it to see the real setup checked.
``GET /v1/prices`` lists the prices the sandbox knows, newest first, filtered by ``active``,
``currency``, ``product`` and ``type``, with Stripe's cursor pagination."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from fastapi import FastAPI, Request
from fastapi.responses import Response
from stripe.params import (
    PriceListParams,
    WebhookEndpointCreateParams,
    WebhookEndpointListParams,
    WebhookEndpointUpdateParams,
)

from steward.providers.stripe.sandbox.params import known
from steward.providers.stripe.sandbox.state import (
    JSON,
    Store,
    integer,
    invalid,
    metadata,
    missing,
    stripe_list,
    text,
)

if TYPE_CHECKING:
    from steward.providers.stripe.sandbox import StripeSandbox

Call = Callable[[Request, Callable[[JSON, JSON], JSON], frozenset[str]], Awaitable[Response]]
_CREATE, _UPDATE = known(WebhookEndpointCreateParams), known(WebhookEndpointUpdateParams)
_LIST, _PRICES = known(WebhookEndpointListParams), known(PriceListParams)


def _events(params: JSON, required: bool) -> list[str] | None:
    raw = params.get("enabled_events")
    if raw is None:
        if required:
            raise invalid(
                "Missing required param: enabled_events.", "enabled_events", "parameter_missing"
            )
        return None
    events = raw if isinstance(raw, list) else [raw]
    if not events or not all(isinstance(e, str) and e for e in events):
        raise invalid("Invalid array: enabled_events", "enabled_events")
    return [str(e) for e in events]


def _url(params: JSON, required: bool) -> str | None:
    url = text(params, "url", required=required, max_len=5000)
    if url is not None and urlparse(url).scheme not in ("http", "https"):
        raise invalid(f"Invalid URL: {url}", "url", "url_invalid")
    return url


class Catalog:
    def __init__(self, sandbox: StripeSandbox) -> None:
        self.sandbox, self.store = sandbox, sandbox.store

    def create_endpoint(self, params: JSON, info: JSON | None = None) -> JSON:
        url, events = _url(params, True), _events(params, True)
        with self.store.lock:
            endpoint: JSON = {
                "id": self.store.new_id("we"), "object": "webhook_endpoint",
                "api_version": text(params, "api_version"), "application": None,
                "created": self.store.ts(), "description": text(params, "description"),
                "enabled_events": events, "livemode": False, "metadata": metadata(params),
                "status": "enabled", "url": url,
            }  # fmt: skip
            self.store.put(endpoint)
            return {**copy.deepcopy(endpoint), "secret": self.sandbox.webhook_secret}

    def update_endpoint(self, endpoint_id: str, params: JSON) -> JSON:
        with self.store.lock:
            endpoint = self.store.get(endpoint_id, "webhook_endpoint")
            if (url := _url(params, False)) is not None:
                endpoint["url"] = url
            if (events := _events(params, False)) is not None:
                endpoint["enabled_events"] = events
            if "description" in params:
                endpoint["description"] = text(params, "description")
            if "metadata" in params:
                endpoint["metadata"] = metadata(params)
            if "disabled" in params:
                disabled = str(params["disabled"]).lower()
                if disabled not in ("true", "false"):
                    raise invalid("Invalid boolean: disabled", "disabled")
                endpoint["status"] = "disabled" if disabled == "true" else "enabled"
            return copy.deepcopy(endpoint)

    def delete_endpoint(self, endpoint_id: str) -> JSON:
        with self.store.lock:
            self.store.get(endpoint_id, "webhook_endpoint")
            del self.store.objects[endpoint_id]
            return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}

    def list_of(self, kind: str, url: str, params: JSON, keep: Callable[[JSON], bool]) -> JSON:
        return _page(self.store, kind, url, params, keep)


def _page(store: Store, kind: str, url: str, params: JSON, keep: Callable[[JSON], bool]) -> JSON:
    """Newest first; ``starting_after`` / ``ending_before`` are ids of the same kind."""
    limit = integer(params, "limit", lo=1, hi=100) or 10
    with store.lock:
        rows = [o for o in store.objects.values() if o.get("object") == kind and keep(o)]
        rows.sort(key=lambda o: o["created"], reverse=True)  # stable: same second keeps order
        ids = [o["id"] for o in rows]
        after, before = text(params, "starting_after"), text(params, "ending_before")
        for cursor, name in ((after, "starting_after"), (before, "ending_before")):
            if cursor is not None and cursor not in ids:
                raise missing(kind, cursor, name, 400)
        if before is not None:
            window = rows[: ids.index(before)]
            page, more = window[-limit:], len(window) > limit
        else:
            window = rows[ids.index(after) + 1 :] if after else rows
            page, more = window[:limit], len(window) > limit
        return stripe_list(copy.deepcopy(page), url, more)


def _price_filter(params: JSON) -> Callable[[JSON], bool]:
    active = params.get("active")
    if active is not None and str(active).lower() not in ("true", "false"):
        raise invalid("Invalid boolean: active", "active")
    currency = (text(params, "currency") or "").lower()
    product, kind = text(params, "product"), text(params, "type")

    def keep(price: JSON) -> bool:
        return (
            (active is None or price["active"] == (str(active).lower() == "true"))
            and (not currency or price["currency"] == currency)
            and (product is None or price["product"] == product)
            and (kind is None or price["type"] == kind)
        )

    return keep


def install(app: FastAPI, sandbox: StripeSandbox, call: Call) -> Catalog:
    catalog = Catalog(sandbox)
    catalog.create_endpoint({"url": sandbox.webhook_url, "enabled_events": ["*"]})

    @app.post("/v1/webhook_endpoints")
    async def create_endpoint(request: Request) -> Response:
        return await call(request, catalog.create_endpoint, _CREATE)

    @app.get("/v1/webhook_endpoints")
    async def list_endpoints(request: Request) -> Response:
        return await call(
            request,
            lambda p, i: catalog.list_of("webhook_endpoint", "/v1/webhook_endpoints", p, bool),
            _LIST,
        )

    @app.post("/v1/webhook_endpoints/{endpoint_id}")
    async def update_endpoint(request: Request, endpoint_id: str) -> Response:
        return await call(request, lambda p, i: catalog.update_endpoint(endpoint_id, p), _UPDATE)

    @app.delete("/v1/webhook_endpoints/{endpoint_id}")
    async def delete_endpoint(request: Request, endpoint_id: str) -> Response:
        return await call(request, lambda p, i: catalog.delete_endpoint(endpoint_id), frozenset())

    @app.get("/v1/prices")
    async def list_prices(request: Request) -> Response:
        return await call(
            request,
            lambda p, i: catalog.list_of("price", "/v1/prices", p, _price_filter(p)),
            _PRICES,
        )

    return catalog
