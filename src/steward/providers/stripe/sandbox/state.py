"""The sandbox account: objects, events and idempotency records, and the rules Stripe enforces.

Everything is in memory and guarded by one re-entrant lock; callers hold ``store.lock`` across
a whole request so that an idempotent replay and the first execution can never interleave."""

from __future__ import annotations

import calendar
import copy
import secrets
import string
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import stripe

JSON = dict[str, Any]
API_VERSION: str = stripe.api_version
NO_REQUEST: JSON = {"id": None, "idempotency_key": None}
_ALNUM = string.ascii_letters + string.digits
_DAY = 86_400


class SandboxError(Exception):
    """A Stripe API error; the API renders it as ``{"error": {...}}`` with ``status``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.code, self.param, self.type = code, param, type

    def body(self) -> JSON:
        error: JSON = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return {"error": error}


def invalid(message: str, param: str | None = None, code: str | None = None) -> SandboxError:
    return SandboxError(400, message, code=code, param=param)


def missing(kind: str, object_id: str, param: str = "id", status: int = 404) -> SandboxError:
    message = f"No such {kind}: '{object_id}'"
    return SandboxError(status, message, code="resource_missing", param=param)


def _path(name: str, at: str) -> str:
    return f"{at}[{name}]" if at else name


def text(
    params: JSON, name: str, *, required: bool = False, max_len: int = 5000, at: str = ""
) -> str | None:
    """The string parameter ``at[name]``; "" means unset, as in Stripe's form encoding."""
    path, value = _path(name, at), params.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"Missing required param: {path}.", path, "parameter_missing")
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {value!r}", path, "parameter_invalid_string")
    if len(value) > max_len:
        raise invalid(f"Invalid {path}: must be at most {max_len} characters", path)
    return value


def integer(
    params: JSON, name: str, *, required: bool = False, lo: int = 0, hi: int = 2**63, at: str = ""
) -> int | None:
    path, value = _path(name, at), params.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"Missing required param: {path}.", path, "parameter_missing")
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {value}", path, "parameter_invalid_integer") from None
    if not lo <= number <= hi:
        raise invalid(f"Invalid {path}: must be between {lo} and {hi}", path)
    return number


def metadata(params: JSON, name: str = "metadata", at: str = "") -> dict[str, str]:
    path, value = _path(name, at), params.get(name)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict) or len(value) > 50:
        raise invalid(f"Invalid hash: {path} must be a hash of at most 50 keys", path)
    for key, item in value.items():
        if len(key) > 40 or not isinstance(item, str) or len(item) > 500:
            raise invalid(f"Invalid {path}[{key}]: keys up to 40, values up to 500 chars", path)
    return {key: item for key, item in value.items() if item != ""}


def add_interval(start: int, interval: str, count: int = 1) -> int:
    """``start`` plus ``count`` billing intervals (calendar months and years, as Stripe bills)."""
    if interval in ("day", "week"):
        return start + count * _DAY * (7 if interval == "week" else 1)
    moment = datetime.fromtimestamp(start, UTC)
    years, month0 = divmod(moment.month - 1 + count * (12 if interval == "year" else 1), 12)
    year, month = moment.year + years, month0 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def stripe_list(data: list[JSON], url: str, has_more: bool = False) -> JSON:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


class Store:
    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now
        self.lock = threading.RLock()
        self.objects: dict[str, JSON] = {}
        self.events: list[JSON] = []
        self.on_event: Callable[[JSON], None] = lambda event: None
        self._event_pos: dict[str, int] = {}
        self._line_items: dict[str, list[JSON]] = {}
        self._sub_data: dict[str, tuple[int | None, dict[str, str]]] = {}
        self._idempotency: dict[str, tuple[str, JSON, int, bytes]] = {}
        self._issued: set[str] = set()
        self._last_created = 0

    # -- basics ------------------------------------------------------------------------------
    def ts(self) -> int:
        return int(self.now())

    def new_id(self, prefix: str) -> str:
        while True:
            candidate = f"{prefix}_{''.join(secrets.choice(_ALNUM) for _ in range(24))}"
            if candidate not in self._issued:
                self._issued.add(candidate)
                return candidate

    def get(self, object_id: str, kind: str, *, param: str = "id", status: int = 404) -> JSON:
        with self.lock:
            found = self.objects.get(object_id)
            if kind == "event" and object_id in self._event_pos:
                found = self.events[self._event_pos[object_id]]
            if found is None or found.get("object") != kind:
                raise missing(kind.rsplit(".", 1)[-1], object_id, param, status)
            return found

    def put(self, obj: JSON) -> None:
        with self.lock:
            self._issued.add(obj["id"])
            self.objects[obj["id"]] = copy.deepcopy(obj)

    def emit(self, type: str, obj: JSON, request: JSON | None = None) -> JSON:
        """Record an event (a snapshot of ``obj``) and hand it to the deliverer, in order."""
        with self.lock:
            created = max(self.ts(), self._last_created)
            self._last_created = created
            event: JSON = {
                "id": self.new_id("evt"),
                "object": "event",
                "api_version": API_VERSION,
                "created": created,
                "data": {"object": copy.deepcopy(obj)},
                "livemode": False,
                "pending_webhooks": 1,
                "request": dict(request or NO_REQUEST),
                "type": type,
            }
            self._event_pos[event["id"]] = len(self.events)
            self.events.append(event)
            self.on_event(event)
            return event

    # -- idempotency ---------------------------------------------------------------------------
    def replay(self, key: str, path: str, params: JSON) -> tuple[int, bytes] | None:
        stored = self._idempotency.get(key)
        if stored is None:
            return None
        first_path, first_params, status, body = stored
        if first_path != path:
            raise SandboxError(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{first_path}' vs '{path}'). Try using a key other than "
                f"'{key}' if you meant to execute a different request.",
                type="idempotency_error",
            )
        if first_params != params:
            raise SandboxError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were "
                f"first used with. Try using a key other than '{key}' if you meant to execute a "
                "different request.",
                type="idempotency_error",
            )
        return status, body

    def remember(self, key: str, path: str, params: JSON, status: int, body: bytes) -> None:
        self._idempotency[key] = (path, copy.deepcopy(params), status, body)

    # -- expansion -----------------------------------------------------------------------------
    def expand(self, obj: JSON, paths: list[str]) -> JSON:
        """A copy of ``obj`` with the ``expand[]`` paths replaced by the objects they name."""
        out = copy.deepcopy(obj)
        for path in paths:
            self._expand(out, path.split("."), path)
        return out

    def _expand(self, node: JSON, parts: list[str], full: str) -> None:
        head, rest = parts[0], parts[1:]
        if head == "line_items" and node.get("object") == "checkout.session" and not rest:
            items = copy.deepcopy(self._line_items.get(node["id"], []))
            node[head] = stripe_list(items, f"/v1/checkout/sessions/{node['id']}/line_items")
            return
        if head not in node:
            raise invalid(f"This property cannot be expanded ({full}).", "expand")
        value = node[head]
        if isinstance(value, str) and value in self.objects:
            value = node[head] = copy.deepcopy(self.objects[value])
        if not rest:
            return
        targets = value if isinstance(value, list) else [value]
        for target in targets:
            if isinstance(target, dict):
                self._expand(target, rest, full)

    # -- customers -----------------------------------------------------------------------------
    def create_customer(
        self, params: JSON, request: JSON | None = None, *, emit: bool = True
    ) -> JSON:
        with self.lock:
            customer: JSON = {
                "id": self.new_id("cus"),
                "object": "customer",
                "address": None,
                "balance": 0,
                "created": self.ts(),
                "currency": None,
                "default_source": None,
                "delinquent": False,
                "description": text(params, "description"),
                "discount": None,
                "email": text(params, "email", max_len=512),
                "invoice_prefix": secrets.token_hex(4).upper(),
                "invoice_settings": {
                    "custom_fields": None,
                    "default_payment_method": None,
                    "footer": None,
                    "rendering_options": None,
                },
                "livemode": False,
                "metadata": metadata(params),
                "name": text(params, "name", max_len=256),
                "next_invoice_sequence": 1,
                "phone": text(params, "phone", max_len=20),
                "preferred_locales": [],
                "shipping": None,
                "tax_exempt": "none",
                "test_clock": None,
            }
            self.objects[customer["id"]] = customer
            if emit:
                self.emit("customer.created", customer, request)
            return customer

    # -- checkout bookkeeping ------------------------------------------------------------------
    def save_session(
        self, session: JSON, items: list[JSON], trial_days: int | None, sub_meta: dict[str, str]
    ) -> None:
        self.objects[session["id"]] = session
        self._line_items[session["id"]] = items
        self._sub_data[session["id"]] = (trial_days, sub_meta)

    def session_extras(self, session_id: str) -> tuple[list[JSON], int | None, dict[str, str]]:
        trial_days, sub_meta = self._sub_data.get(session_id, (None, {}))
        return self._line_items.get(session_id, []), trial_days, sub_meta

    # -- events --------------------------------------------------------------------------------
    def list_events(self, params: JSON) -> JSON:
        """``GET /v1/events``: newest first, cursor pagination on event ids."""
        limit = integer(params, "limit", lo=1, hi=100) or 10
        created = params.get("created")
        bounds = created if isinstance(created, dict) else {"eq": created} if created else {}
        checks: dict[str, Callable[[int, int], bool]] = {
            "eq": int.__eq__, "gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__,
            "lte": int.__le__,
        }  # fmt: skip
        limits: dict[str, int] = {}
        for op in bounds:
            if op not in checks:
                raise invalid(f"Received unknown parameter: created[{op}]", f"created[{op}]")
            bound = integer(bounds, op, at="created")
            if bound is not None:
                limits[op] = bound
        raw_types = params.get("types") or []
        types = [t for t in (raw_types if isinstance(raw_types, list) else [raw_types]) if t]
        if isinstance(params.get("type"), str) and params["type"]:
            types.append(params["type"])

        def wanted(event: JSON) -> bool:
            if not all(checks[op](event["created"], bound) for op, bound in limits.items()):
                return False
            return not types or any(
                event["type"] == t or (t.endswith("*") and event["type"].startswith(t[:-1]))
                for t in types
            )

        floor = max([limits[op] for op in ("gte", "gt") if op in limits], default=None)
        with self.lock:
            # Walk from the cursor and stop after one page: events are stored oldest first with
            # non-decreasing `created`, so a walk towards older events ends at the created floor.
            after, before = text(params, "starting_after"), text(params, "ending_before")
            found: list[JSON] = []
            if before is not None:
                for i in range(self._position(before, "ending_before") + 1, len(self.events)):
                    if wanted(self.events[i]):
                        found.append(self.events[i])
                        if len(found) > limit:
                            break
                page, more = list(reversed(found[:limit])), len(found) > limit
            else:
                start = (
                    self._position(after, "starting_after") - 1 if after else len(self.events) - 1
                )
                for i in range(start, -1, -1):
                    event = self.events[i]
                    if floor is not None and event["created"] < floor:
                        break
                    if wanted(event):
                        found.append(event)
                        if len(found) > limit:
                            break
                page, more = found[:limit], len(found) > limit
            return stripe_list(copy.deepcopy(page), "/v1/events", more)

    def _position(self, event_id: str, param: str) -> int:
        if event_id not in self._event_pos:
            raise missing("event", event_id, param, 400)
        return self._event_pos[event_id]
