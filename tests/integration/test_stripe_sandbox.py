"""The Stripe sandbox as a protocol peer: the real SDK calls it over HTTP, and the webhooks it
sends back are verified with the SDK's own signature check, on a real local receiver."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import httpx
import pytest
import stripe
import uvicorn
from fastapi import FastAPI, Request, Response

from steward.providers.stripe.sandbox import SandboxError, StripeSandbox
from steward.providers.stripe.sandbox.api import parse_params

SECRET = "whsec_sandbox_integration"
KEY = "sk_test_sandbox_integration"
MOUNT = "/sandbox/stripe"
DAY = 86_400


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """``app`` under a real uvicorn server on a free 127.0.0.1 port, in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, ws="none", lifespan="off",
        timeout_graceful_shutdown=1,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


class Receiver:
    """A webhook endpoint that checks each delivery the way Steward must: signature first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: list[str] = []  # event ids of every verified request, in arrival order
        self.events: list[stripe.Event] = []  # the ones answered 200
        self.rejected: list[str] = []
        self.fail_next = 0
        self.url = ""
        self.app = FastAPI()
        self.app.add_api_route("/webhooks/stripe", self.handle, methods=["POST"])

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        try:
            header = request.headers.get("stripe-signature", "")
            event = stripe.Webhook.construct_event(body, header, SECRET)
        except (ValueError, stripe.SignatureVerificationError) as exc:
            with self.lock:
                self.rejected.append(str(exc))
            return Response(status_code=400)
        with self.lock:
            self.attempts.append(event.id)
            if self.fail_next > 0:
                self.fail_next -= 1
                return Response(status_code=500)
            self.events.append(event)
        return Response(status_code=200)

    @property
    def ids(self) -> list[str]:
        with self.lock:
            return [e.id for e in self.events]

    @property
    def types(self) -> list[str]:
        with self.lock:
            return [e.type for e in self.events]


@dataclass
class Peer:
    sandbox: StripeSandbox
    api: str  # the SDK's base address: the mount point
    client: stripe.StripeClient
    receiver: Receiver
    clock: list[int]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    with serve(hook.app) as base:
        hook.url = f"{base}/webhooks/stripe"
        yield hook
    assert hook.rejected == []


@pytest.fixture
def peer(receiver: Receiver) -> Iterator[Peer]:
    clock = [int(time.time())]
    sandbox = StripeSandbox(receiver.url, SECRET, now=lambda: clock[0])
    host = FastAPI()  # mounted as Steward mounts it
    host.mount(MOUNT, sandbox.app)
    sandbox.start()
    try:
        with serve(host) as base:
            client = stripe.StripeClient(
                KEY, base_addresses={"api": base + MOUNT}, max_network_retries=0
            )
            yield Peer(sandbox, base + MOUNT, client, receiver, clock)
    finally:
        sandbox.stop()


def session_params(**overrides: Any) -> Any:
    params: dict[str, Any] = {
        "mode": "subscription",
        "customer_email": "ada@example.com",
        "client_reference_id": "ten_1",
        "metadata": {"tenant_id": "ten_1", "plan": "pro"},
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 900,
                    "recurring": {"interval": "month"},
                    "product_data": {"name": "Pro"},
                },
            }
        ],
        "subscription_data": {"metadata": {"tenant_id": "ten_1"}},
        "success_url": "http://app.example/done?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://app.example/cancel",
    }
    params.update(overrides)
    return params


def test_form_encoding_is_parsed_like_stripe() -> None:
    raw = (
        "metadata[tenant_id]=ten_1&metadata[0]=zero&line_items[1][quantity]=2&"
        "line_items[0][price_data][unit_amount]=900&expand[]=customer&expand[]=subscription&"
        "subscription_data[trial_period_days]=7&email="
    )
    assert parse_params(raw) == {
        "metadata": {"tenant_id": "ten_1", "0": "zero"},
        "line_items": [{"price_data": {"unit_amount": "900"}}, {"quantity": "2"}],
        "expand": ["customer", "subscription"],
        "subscription_data": {"trial_period_days": "7"},
        "email": "",
    }
    with pytest.raises(SandboxError):
        parse_params("metadata[a=1")


def test_customers_and_sessions_through_the_real_sdk(peer: Peer) -> None:
    client = peer.client
    customer = client.v1.customers.create(
        {
            "email": "bob@example.com",
            "name": "Bob",
            "phone": "+15551230000",
            "metadata": {"tenant_id": "ten_2"},
        }
    )
    assert customer.id.startswith("cus_") and customer.object == "customer"
    assert customer.livemode is False and customer.created == peer.clock[0]
    assert customer.to_dict()["metadata"] == {"tenant_id": "ten_2"}
    assert client.v1.customers.retrieve(customer.id).email == "bob@example.com"

    params = session_params(subscription_data={"trial_period_days": 7, "metadata": {"a": "b"}})
    first = client.v1.checkout.sessions.create(params, options={"idempotency_key": "ck-1"})
    again = client.v1.checkout.sessions.create(params, options={"idempotency_key": "ck-1"})
    assert again.id == first.id and again.to_dict() == first.to_dict()
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    other = client.v1.checkout.sessions.create(params, options={"idempotency_key": "ck-2"})
    assert other.id != first.id
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(
            session_params(mode="payment"), options={"idempotency_key": "ck-1"}
        )
    with pytest.raises(stripe.IdempotencyError):  # a key belongs to one endpoint
        client.v1.customers.create({"email": "x@example.com"}, options={"idempotency_key": "ck-1"})

    assert first.id.startswith("cs_test_") and first.object == "checkout.session"
    assert first.url == f"{peer.api}/_sandbox/pay/{first.id}"
    assert (first.status, first.payment_status, first.mode) == ("open", "unpaid", "subscription")
    assert first.to_dict()["metadata"] == {"tenant_id": "ten_1", "plan": "pro"}
    assert (first.client_reference_id, first.customer_email) == ("ten_1", "ada@example.com")
    assert first.amount_total == 900 and first.currency == "usd"

    got = client.v1.checkout.sessions.retrieve(first.id, {"expand": ["line_items"]})
    assert got.id == first.id and got.line_items is not None
    price = got.line_items.data[0].price
    assert price is not None and price.unit_amount == 900 and price.recurring is not None
    assert price.recurring.interval == "month"

    by_customer = client.v1.checkout.sessions.create(
        session_params(customer_email=None, customer=customer.id, expand=["customer"])
    )
    assert by_customer.to_dict()["customer"]["email"] == "bob@example.com"


def test_paying_emits_signed_events_in_order(peer: Peer) -> None:
    session = peer.client.v1.checkout.sessions.create(session_params())
    assert session.url is not None
    page = httpx.get(session.url)
    assert page.status_code == 200 and "Pay</button>" in page.text and "Pro" in page.text
    paid = httpx.post(session.url, data={"phone": "+15550001111"})
    assert paid.status_code == 303
    assert paid.headers["location"] == f"http://app.example/done?session={session.id}"
    assert peer.sandbox.wait_idle(5)

    receiver = peer.receiver
    assert receiver.types == [
        "customer.created",
        "customer.subscription.created",
        "checkout.session.completed",
        "invoice.paid",
    ]
    created = [e.created for e in receiver.events]
    assert created == sorted(created) and len(set(receiver.ids)) == 4
    completed = receiver.events[2].data.object
    assert completed["id"] == session.id and completed["status"] == "complete"
    assert completed["payment_status"] == "paid"
    assert completed["customer_details"]["phone"] == "+15550001111"
    assert completed["customer_details"]["email"] == "ada@example.com"
    assert completed["customer"] == receiver.events[0].data.object["id"]

    sub = peer.client.v1.subscriptions.retrieve(completed["subscription"])
    assert (sub.status, sub.customer, sub.trial_end) == ("active", completed["customer"], None)
    assert sub.metadata.to_dict() == {"tenant_id": "ten_1"}
    assert sub.items.data[0].price.unit_amount == 900
    invoice = receiver.events[3].data.object
    assert invoice["status"] == "paid" and invoice["amount_paid"] == 900
    assert sub.latest_invoice == invoice["id"]
    assert peer.client.v1.checkout.sessions.retrieve(session.id).subscription == sub.id

    assert httpx.post(session.url).status_code == 409  # paying twice: no second subscription
    with pytest.raises(SandboxError) as info:
        peer.sandbox.complete_checkout(session.id)
    assert info.value.status == 409
    assert peer.sandbox.wait_idle(5)
    assert len(receiver.events) == 4
    types = [e["type"] for e in peer.sandbox.events]
    assert types.count("customer.subscription.created") == 1


def test_trial_checkout_for_an_existing_customer(peer: Peer) -> None:
    client = peer.client
    customer = client.v1.customers.create({"email": "cy@example.com"})
    params = session_params(
        customer_email=None,
        customer=customer.id,
        subscription_data={"trial_period_days": 7, "metadata": {"tenant_id": "ten_3"}},
    )
    session = client.v1.checkout.sessions.create(params)
    sub = peer.sandbox.complete_checkout(session.id, phone="+15550002222")
    assert sub is not None and sub["status"] == "trialing"
    assert sub["trial_start"] == peer.clock[0] and sub["trial_end"] == peer.clock[0] + 7 * DAY
    assert sub["current_period_end"] == sub["trial_end"] and sub["customer"] == customer.id
    assert sub["metadata"] == {"tenant_id": "ten_3"} and sub["latest_invoice"] is None

    assert peer.sandbox.wait_idle(5)
    assert peer.receiver.types == [
        "customer.created",  # from the API call, as Stripe does
        "customer.subscription.created",
        "checkout.session.completed",
    ]
    assert peer.receiver.events[0].request is not None
    assert peer.receiver.events[0].request.idempotency_key  # the SDK always sends one
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "no_payment_required")
    assert done.customer == customer.id


def test_payment_mode_and_expiry(peer: Peer) -> None:
    client = peer.client
    one_time = [{"quantity": 2, "price_data": {"currency": "eur", "unit_amount": 500,
                                               "product_data": {"name": "Credits"}}}]  # fmt: skip
    session = client.v1.checkout.sessions.create(
        session_params(mode="payment", line_items=one_time, subscription_data=None)
    )
    assert session.amount_total == 1000
    assert peer.sandbox.complete_checkout(session.id) is None

    stale = client.v1.checkout.sessions.create(session_params())
    expired = client.v1.checkout.sessions.expire(stale.id)
    assert (expired.status, expired.url) == ("expired", None)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(stale.id)
    with pytest.raises(SandboxError):
        peer.sandbox.complete_checkout(stale.id)
    assert peer.sandbox.wait_idle(5)
    assert peer.receiver.types == [
        "customer.created",
        "checkout.session.completed",
        "checkout.session.expired",
    ]
    with pytest.raises(stripe.InvalidRequestError):  # a recurring price in payment mode
        client.v1.checkout.sessions.create(session_params(mode="payment", subscription_data=None))


def test_duplicate_fault_sends_identical_copies(peer: Peer) -> None:
    peer.sandbox.faults.duplicate = 2
    event = peer.sandbox.emit("customer.updated", {"id": "cus_dup", "object": "customer"})
    assert event["id"].startswith("evt_") and event["object"] == "event"
    assert event["data"]["object"]["id"] == "cus_dup" and event["livemode"] is False
    assert peer.sandbox.wait_idle(5)
    assert peer.receiver.ids == [event["id"]] * 3
    outcomes = [d.outcome for d in peer.sandbox.deliveries]
    assert outcomes == ["delivered", "duplicate", "duplicate"]
    assert peer.client.v1.customers.retrieve("cus_dup").id == "cus_dup"  # the event's state


def test_dropped_events_are_never_delivered_but_listed(peer: Peer) -> None:
    sandbox = peer.sandbox
    sandbox.faults.drop_types = {"invoice.paid"}
    session = peer.client.v1.checkout.sessions.create(session_params())
    sandbox.complete_checkout(session.id)
    assert sandbox.wait_idle(5)
    assert "invoice.paid" not in peer.receiver.types and len(peer.receiver.types) == 3
    listed = peer.client.v1.events.list({"type": "invoice.paid"})
    assert len(listed.data) == 1  # what reconciliation will find
    assert [d.outcome for d in sandbox.deliveries if d.type == "invoice.paid"] == ["dropped"]

    sandbox.faults.drop_next = 1
    lost = sandbox.emit("ping.one", {"object": "ping"})
    kept = sandbox.emit("ping.two", {"object": "ping"})
    assert sandbox.wait_idle(5)
    assert lost["id"] not in peer.receiver.ids and peer.receiver.ids[-1] == kept["id"]
    assert sandbox.faults.drop_next == 0


def test_reorder_holds_then_delivers_newest_first(peer: Peer) -> None:
    peer.sandbox.faults.reorder = True
    ids = [peer.sandbox.emit(f"ping.{n}", {"object": "ping"})["id"] for n in range(3)]
    assert peer.sandbox.wait_idle(5)
    time.sleep(0.1)
    assert peer.receiver.ids == []
    assert peer.sandbox.flush() == 3
    assert peer.sandbox.wait_idle(5)
    assert peer.receiver.ids == ids[::-1]


def test_delay_fault_and_retries_after_errors(peer: Peer) -> None:
    sandbox, receiver = peer.sandbox, peer.receiver
    sandbox.faults.delay_ms = 300
    started = time.monotonic()
    late = sandbox.emit("ping.late", {"object": "ping"})
    time.sleep(0.1)
    assert receiver.ids == []
    assert sandbox.wait_idle(5) and receiver.ids == [late["id"]]
    assert time.monotonic() - started >= 0.3

    sandbox.faults.delay_ms = 0
    receiver.fail_next = 2
    started = time.monotonic()
    event = sandbox.emit("ping.retry", {"object": "ping"})
    assert sandbox.wait_idle(5)
    assert time.monotonic() - started >= 0.7  # 0.2 s then 0.5 s of backoff
    assert receiver.attempts[-3:] == [event["id"]] * 3 and receiver.ids[-1] == event["id"]
    records = [d for d in sandbox.deliveries if d.event_id == event["id"]]
    assert [(d.attempt, d.status_code, d.outcome) for d in records] == [
        (1, 500, "retrying"),
        (2, 500, "retrying"),
        (3, 200, "delivered"),
    ]


def test_gives_up_after_backoff_without_blocking_the_api(peer: Peer) -> None:
    peer.receiver.fail_next = 100
    started = time.monotonic()
    event = peer.sandbox.emit("ping.doomed", {"object": "ping"})
    time.sleep(0.05)
    t = time.monotonic()
    peer.client.v1.events.retrieve(event["id"])  # answered while deliveries back off
    assert time.monotonic() - t < 0.5
    assert peer.sandbox.wait_idle(10)
    assert time.monotonic() - started >= 3.7
    records = peer.sandbox.deliveries
    assert [d.attempt for d in records] == [1, 2, 3, 4, 5]
    assert [d.outcome for d in records] == ["retrying"] * 4 + ["gave_up"]
    assert {d.status_code for d in records} == {500} and peer.receiver.ids == []


def test_connection_errors_are_recorded_without_status() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    sandbox = StripeSandbox(dead, SECRET)
    sandbox.start()
    try:
        sandbox.emit("ping.nowhere", {"object": "ping"})
        deadline = time.monotonic() + 5
        while not sandbox.deliveries and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        sandbox.stop()
    first = sandbox.deliveries[0]
    assert (first.attempt, first.status_code, first.outcome) == (1, None, "retrying")
    assert first.error


def test_events_list_paginates_newest_first(peer: Peer) -> None:
    sandbox, client = peer.sandbox, peer.client
    emitted = [sandbox.emit("ping.page", {"object": "ping", "n": n}) for n in range(25)]
    newest_first = [e["id"] for e in reversed(emitted)]  # same second: insertion order decides

    page1 = client.v1.events.list({"limit": 10})
    assert [e.id for e in page1.data] == newest_first[:10] and page1.has_more
    assert page1.to_dict()["object"] == "list" and page1.url == "/v1/events"
    page2 = client.v1.events.list({"limit": 10, "starting_after": page1.data[-1].id})
    assert [e.id for e in page2.data] == newest_first[10:20] and page2.has_more
    page3 = client.v1.events.list({"limit": 10, "starting_after": page2.data[-1].id})
    assert [e.id for e in page3.data] == newest_first[20:] and not page3.has_more
    assert len(client.v1.events.list().data) == 10  # default limit
    back = client.v1.events.list({"limit": 5, "ending_before": newest_first[10]})
    assert [e.id for e in back.data] == newest_first[5:10] and back.has_more
    walked = [e.id for e in client.v1.events.list({"limit": 7}).auto_paging_iter()]
    assert walked == newest_first

    peer.clock[0] += 100
    later = sandbox.emit("pong.later", {"object": "pong"})
    since = client.v1.events.list({"created": {"gte": peer.clock[0]}})
    assert [e.id for e in since.data] == [later["id"]]
    assert len(client.v1.events.list({"created": {"gt": later["created"]}}).data) == 0
    assert [e.id for e in client.v1.events.list({"type": "pong.*"}).data] == [later["id"]]
    for bad in ({"limit": 0}, {"limit": 101}, {"starting_after": "evt_missing"}):
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.events.list(cast(Any, bad))


def test_authentication_is_required(peer: Peer) -> None:
    url = f"{peer.api}/v1/customers/cus_nope"
    bare = httpx.get(url)
    assert bare.status_code == 401
    assert bare.json()["error"]["type"] == "invalid_request_error"
    assert "API key" in bare.json()["error"]["message"]
    assert httpx.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert httpx.post(f"{peer.api}/v1/customers", data={"email": "a@b.c"}).status_code == 401
    assert httpx.get(url, auth=(KEY, "")).status_code == 404  # Basic auth, as curl -u does
    live = stripe.StripeClient("sk_live_123", base_addresses={"api": peer.api})
    with pytest.raises(stripe.AuthenticationError):
        live.v1.customers.retrieve("cus_nope")


def test_unknown_ids_urls_and_params(peer: Peer) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        peer.client.v1.customers.retrieve("cus_nope")
    assert info.value.http_status == 404 and info.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as info:
        peer.client.v1.subscriptions.retrieve("sub_nope")
    assert info.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as info:
        peer.client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert info.value.http_status == 404

    headers = {"Authorization": f"Bearer {KEY}"}
    nowhere = httpx.get(f"{peer.api}/v1/charges_of_light", headers=headers)
    assert nowhere.status_code == 404 and "Unrecognized request URL" in nowhere.text
    with pytest.raises(stripe.InvalidRequestError) as info:
        peer.client.v1.customers.create(cast(Any, {"email": "a@b.c", "colour": "red"}))
    assert info.value.code == "parameter_unknown" and info.value.param == "colour"
    no_quantity = [{"price_data": {"currency": "usd", "unit_amount": 1,
                                   "product_data": {"name": "x"}}}]  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError) as info:
        peer.client.v1.checkout.sessions.create(session_params(line_items=no_quantity))
    assert info.value.param == "line_items[0][quantity]"


def test_sandbox_control_endpoints(peer: Peer) -> None:
    set_faults = httpx.post(
        f"{peer.api}/_sandbox/faults", json={"duplicate": 1, "drop_types": ["a.b"]}
    )
    assert set_faults.status_code == 200 and set_faults.json()["drop_types"] == ["a.b"]
    assert peer.sandbox.faults.duplicate == 1 and peer.sandbox.faults.drop_types == {"a.b"}
    assert httpx.post(f"{peer.api}/_sandbox/faults", json={"duplicate": -1}).status_code == 400
    assert httpx.post(f"{peer.api}/_sandbox/faults", json={"nope": 1}).status_code == 400
    event = peer.sandbox.emit("ping.control", {"object": "ping"})
    assert peer.sandbox.wait_idle(5)
    listed = httpx.get(f"{peer.api}/_sandbox/deliveries").json()["data"]
    assert [(d["event_id"], d["outcome"]) for d in listed] == [
        (event["id"], "delivered"),
        (event["id"], "duplicate"),
    ]
    assert httpx.get(f"{peer.api}/_sandbox/pay/cs_test_nope").status_code == 404
