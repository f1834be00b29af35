"""The public signup wizard: ``start`` (anonymous, rate-limited), then ``brand`` and ``plan``,
each behind the step token the previous step answered, then ``status``. Every route answers 503
while the ``signups`` kill switch is off."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from steward.api.deps import RuntimeDep
from steward.customers import ratelimit
from steward.customers import service as customers
from steward.errors import ConfigError, NotFound
from steward.flags.endpoints import require_signups
from steward.provisioning import repository as provisioning_repo
from steward.runtime import Runtime
from steward.signup import idempotency, service
from steward.signup import repository as repo
from steward.signup.schemas import BrandIn, PlanIn, StartIn
from steward.signup.service import Outcome, SlugTaken
from steward.signup.spec import SignupSpec, next_step
from steward.signup.tokens import StepTokens
from steward.subscriptions.checkout import open_checkout

public = APIRouter(
    prefix="/public/signup", tags=["public: signup"], dependencies=[Depends(require_signups)]
)
Authorization = Annotated[str | None, Header()]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def spec_of(runtime: RuntimeDep) -> SignupSpec:
    try:
        return runtime.service(SignupSpec)
    except ConfigError:
        raise NotFound("this product offers no public signup") from None


Spec = Annotated[SignupSpec, Depends(spec_of)]


def start_limit(request: Request, runtime: RuntimeDep) -> None:
    settings = runtime.settings
    limit = ratelimit.Limit(
        "signup_start", settings.signup_rate_limit, settings.rate_limit_window_seconds
    )
    ratelimit.hit(runtime, limit, ratelimit.client_address(request))


def _with_token(runtime: Runtime, outcome: Outcome, step: str) -> dict[str, Any]:
    body = dict(outcome.body)
    body["token"] = runtime.service(StepTokens).issue(body["tenant_id"], step)
    body["expires_in"] = runtime.service(StepTokens).ttl
    return body


@public.post("/start", status_code=201, dependencies=[Depends(start_limit)])
def start(
    body: StartIn, runtime: RuntimeDep, spec: Spec, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """Basic info: creates the tenant and emails a verification link; 409 ``slug_taken``."""

    def finish(outcome: Outcome) -> dict[str, Any]:
        customers.send_later(runtime, outcome.emails)
        return _with_token(runtime, outcome, next_step("start"))

    wanted = body.slug or service.slugify(body.name)
    return idempotency.run(
        runtime,
        "start",
        idempotency_key,
        body.model_dump(),
        lambda s: service.start(s, runtime, spec, body.name, body.email, body.slug),
        finish,
        on_conflict=lambda: SlugTaken(f"{wanted} was taken meanwhile; try again"),
    )


@public.post("/brand")
def brand(
    body: BrandIn,
    runtime: RuntimeDep,
    spec: Spec,
    authorization: Authorization = None,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    tenant_id = runtime.service(StepTokens).verify(authorization, "brand")
    return idempotency.run(
        runtime,
        f"brand:{tenant_id}",
        idempotency_key,
        body.model_dump(),
        lambda s: service.brand(
            s, runtime, tenant_id, body.primary_color, body.secondary_color, body.logo_url
        ),
        lambda o: _with_token(runtime, o, next_step("brand")),
    )


def _settled(runtime: Runtime, outcome: Outcome) -> dict[str, Any]:
    body = _with_token(runtime, outcome, "status")
    if outcome.checkout_plan:
        checkout = open_checkout(runtime, body["tenant_id"], outcome.checkout_plan)
        body["checkout_url"] = checkout.url
    return body


@public.post("/plan")
def plan(
    body: PlanIn,
    runtime: RuntimeDep,
    spec: Spec,
    authorization: Authorization = None,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """The last step: a free plan provisions now, a paid one answers ``checkout_url``."""
    tenant_id = runtime.service(StepTokens).verify(authorization, "plan")
    return idempotency.run(
        runtime,
        f"plan:{tenant_id}",
        idempotency_key,
        body.model_dump(),
        lambda s: service.choose_plan(s, runtime, spec, tenant_id, body.plan, dict(body.inputs)),
        lambda o: _settled(runtime, o),
    )


@public.get("/status")
def status(runtime: RuntimeDep, spec: Spec, authorization: Authorization = None) -> dict[str, Any]:
    """Where a finished signup stands (verification, checkout, provisioning); a fresh token."""
    tenant_id = runtime.service(StepTokens).verify(authorization, "status")
    with runtime.db.transaction() as session:
        signup = repo.get(session, tenant_id)
        outcome = service.settle(session, runtime, spec, signup)
        runs, _ = provisioning_repo.search(session, tenant_id=tenant_id, limit=1)
        outcome.body["slug"] = signup.slug
        outcome.body["provisioning"] = runs[0].state.value if runs else "none"
    return _settled(runtime, outcome)
