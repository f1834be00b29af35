"""Signup use cases: the three steps, each idempotent, and going live when the product allows.

A step repeated with the same data answers as the first time and changes nothing; the same step
with other data, once finished, is a 409. Services take the caller's session and never commit."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from steward.customers import service as customers
from steward.customers.models import LinkPurpose
from steward.errors import Conflict, InvalidInput, StewardError
from steward.providers.email import EmailMessage
from steward.provisioning import repository as provisioning_repo
from steward.provisioning.urlcheck import UnsafeUrl, check_target
from steward.runtime import Runtime
from steward.signup import flow
from steward.signup import repository as repo
from steward.signup.models import EXPECTS, Signup, SignupState
from steward.signup.spec import SignupSpec, next_step
from steward.subscriptions.trials import normalize_email
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants
from steward.tenants.models import BillingStatus

STARTED = "signup.started"
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


class SlugTaken(Conflict):
    """This address is taken; pick one of the suggestions."""

    code = "slug_taken"


class StepChanged(Conflict):
    """This step is already done with other answers; it cannot be changed here."""

    code = "step_already_done"


class EmailInUse(Conflict):
    """This email already owns a site; sign in instead."""

    code = "email_in_use"


class WrongStep(StewardError):
    """This step is not the next one of this signup."""

    code = "invalid_token"
    http_status = 401


@dataclass
class Outcome:
    """A step's answer, plus what must happen once its transaction commits."""

    body: dict[str, Any]
    emails: list[tuple[EmailMessage, str]] = field(default_factory=list)
    checkout_plan: str | None = None  # open (or reuse) this plan's checkout after commit


def canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")


def _suggestions(session: Session, product: str, base: str, count: int = 3) -> list[str]:
    base = base[:36].strip("-")
    candidates = [f"{base}-{n}" for n in range(2, 22)]
    taken = repo.taken_slugs(session, product, candidates)
    return [c for c in candidates if c not in taken][:count]


def choose_slug(session: Session, spec: SignupSpec, product: str, wanted: str) -> str:
    if not SLUG.match(wanted):
        raise InvalidInput(
            "slug: 1 to 40 lower-case letters, digits and inner hyphens", field="slug"
        )
    if not repo.taken_slugs(session, product, [wanted]):
        return wanted
    free = _suggestions(session, product, wanted)
    if spec.slug_collision == "next_free" and free:
        return free[0]
    raise SlugTaken(f"{wanted} is taken; free: {', '.join(free)}", suggestions=free)


def start(
    session: Session, runtime: Runtime, spec: SignupSpec, name: str, email: str, slug: str | None
) -> Outcome:
    product = runtime.product.name
    email_key = normalize_email(email)
    if spec.one_tenant_per_email and repo.owns_email(session, product, email_key):
        raise EmailInUse()
    wanted = slug or slugify(name)
    if not wanted:
        raise InvalidInput(
            "name: needs a letter or a digit to make the site's address", field="name"
        )
    chosen = choose_slug(session, spec, product, wanted)
    tenant = tenants.create(
        session,
        runtime.product,
        runtime.clock,
        tenants.NewTenant(email=email, name=name, plan=next(iter(spec.plans))),
    )
    now = runtime.clock.now()
    repo.add(
        session,
        Signup(
            tenant_id=tenant.id,
            product=product,
            slug=chosen,
            email_key=email_key,
            state=SignupState.STARTED,
            start_data=canonical({"name": name, "email": email, "slug": slug}),
            created_at=now,
            updated_at=now,
        ),
    )
    flow.answer(
        session,
        runtime,
        tenant.id,
        "start",
        canonical({"name": name, "email": tenant.email, "slug": chosen}),
        address=tenant.email,
    )
    # what a product does at signup (GivrWrld: find or create the panel account) subscribes here
    runtime.bus.publish(session, STARTED, tenant_id=tenant.id, data={"slug": chosen})
    link = customers.new_link(session, runtime, tenant.id, tenant.email, LinkPurpose.VERIFY)
    message = customers.email_link(
        runtime,
        tenant.email,
        f"Confirm your email for {runtime.product.name}",
        f"Hello {tenant.name},\n\nConfirm your email address to put {chosen} live:",
        link,
    )
    body = {"tenant_id": tenant.id, "slug": chosen, "next": next_step("start")}
    return Outcome(body, emails=[(message, f"verify.{customers.digest(link)[:32]}")])


def _locked(session: Session, tenant_id: str, step: str) -> Signup:
    signup = repo.get(session, tenant_id, for_update=True)
    order = ("start", "brand", "plan", "status")
    if order.index(EXPECTS[signup.state]) < order.index(step):
        raise WrongStep(f"this signup is not at the {step} step yet")
    return signup


def brand(
    session: Session,
    runtime: Runtime,
    tenant_id: str,
    primary: str,
    secondary: str,
    logo_url: str | None,
) -> Outcome:
    signup = _locked(session, tenant_id, "brand")
    data = canonical({"primary_color": primary, "secondary_color": secondary, "logo_url": logo_url})
    body = {"tenant_id": tenant_id, "next": next_step("brand")}
    if signup.state is not SignupState.STARTED:
        if signup.brand_data != data:
            raise StepChanged()
        return Outcome(body)
    if logo_url:
        _safe_url("logo_url", logo_url, runtime)
    flow.answer(session, runtime, tenant_id, "brand", data)
    repo.move(
        session,
        tenant_id,
        SignupState.BRANDED,
        runtime.clock.now(),
        brand_data=data,
        primary_color=primary.lower(),
        secondary_color=secondary.lower(),
        logo_url=logo_url,
    )
    return Outcome(body)


def _safe_url(name: str, url: str, runtime: Runtime) -> None:
    try:
        check_target(url, runtime.settings.webhook_check_allow_private)
    except UnsafeUrl as exc:
        raise InvalidInput(f"{name}: {exc.message}", field=name) from exc


def choose_plan(
    session: Session,
    runtime: Runtime,
    spec: SignupSpec,
    tenant_id: str,
    plan_key: str,
    inputs: dict[str, str | bool],
) -> Outcome:
    signup = _locked(session, tenant_id, "plan")
    data = canonical({"plan": plan_key, "inputs": inputs})
    if signup.state is SignupState.COMPLETE:
        if signup.plan_data != data:
            raise StepChanged()
        return settle(session, runtime, spec, signup)
    wants = spec.plans.get(plan_key)
    if wants is None:
        raise InvalidInput(
            f"plan: {plan_key!r} is not offered; choose one of {', '.join(spec.plans)}",
            field="plan",
        )
    allowed = set(wants.urls) | ({"confirm"} if wants.confirm else set())
    unknown = sorted(set(inputs) - allowed)
    if unknown:
        raise InvalidInput(
            f"inputs: {', '.join(unknown)} not asked for by {plan_key}", field="inputs"
        )
    if wants.confirm and inputs.get("confirm") is not True:
        raise InvalidInput(
            f"inputs.confirm: confirm the {plan_key} plan with true", field="confirm"
        )
    now = runtime.clock.now()
    for name in wants.urls:
        value = inputs.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"inputs.{name}: required for {plan_key}", field=name)
        _safe_url(f"inputs.{name}", value, runtime)
        provisioning_repo.put_input(session, tenant_id, name, value, now)
    flow.answer(session, runtime, tenant_id, "plan", data)
    repo.move(session, tenant_id, SignupState.COMPLETE, now, plan_data=data, plan=plan_key)
    tenant = tenants_repo.get(session, tenant_id, for_update=True)
    tenant.plan = plan_key
    tenants.note(session, tenant, now, "signup", f"signup complete on plan {plan_key}")
    session.flush()
    return settle(session, runtime, spec, repo.get(session, tenant_id))


def settle(session: Session, runtime: Runtime, spec: SignupSpec, signup: Signup) -> Outcome:
    """What a complete signup does next: verify the email, pay, or (free) go live now."""
    body: dict[str, Any] = {"tenant_id": signup.tenant_id, "plan": signup.plan}
    verified = customers.is_verified(session, signup.tenant_id)
    body["email_verified"] = verified
    if not (verified or spec.provision_unverified):
        body["next"] = "verify_email"
        return Outcome(body)
    plan = runtime.product.plan(signup.plan)
    if plan.price == 0:
        go_live_free(session, runtime, signup.tenant_id)
        body["next"] = "provisioning"
        return Outcome(body)
    tenant = tenants_repo.get(session, signup.tenant_id)
    if tenant.billing_status in (BillingStatus.ACTIVE, BillingStatus.TRIALING):
        body["next"] = "provisioning"
        return Outcome(body)
    body["next"] = "checkout"
    return Outcome(body, checkout_plan=plan.key)


def go_live_free(session: Session, runtime: Runtime, tenant_id: str) -> None:
    """A free plan needs no payment: active now, provisioned once (``tenant.activated``)."""
    tenant = tenants_repo.get(session, tenant_id, for_update=True)
    first = tenants.mirror_billing(
        session,
        runtime.clock,
        tenant,
        status=BillingStatus.ACTIVE,
        trial_ends_at=None,
        provider_time=None,
        reason="free plan chosen at signup",
    )
    if first:
        runtime.bus.publish(
            session,
            "tenant.activated",
            tenant_id=tenant_id,
            data={"plan": tenant.plan, "billing_status": BillingStatus.ACTIVE.value},
        )


def on_verified(session: Session, runtime: Runtime, spec: SignupSpec, tenant_id: str) -> None:
    """The owner verified the email: a complete free signup waiting for it goes live."""
    signup = repo.find(session, tenant_id)
    if signup is None or signup.state is not SignupState.COMPLETE or not signup.plan:
        return
    if runtime.product.plan(signup.plan).price == 0:
        go_live_free(session, runtime, tenant_id)
