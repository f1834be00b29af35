"""Public sign-in by magic link, the customer's session cookie, and the tenant API token minted
for that session (so a dashboard can call the tenant API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from steward.api.deps import RuntimeDep
from steward.config import Mode
from steward.customers import ratelimit, service
from steward.errors import Unauthorized
from steward.runtime import Runtime
from steward.tenants.schemas import TenantToken

public = APIRouter(prefix="/public/auth", tags=["public: sign-in"])
tenant_api = APIRouter(prefix="/api/v1", tags=["tenant API"])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LinkIn(Strict):
    email: str = Field(min_length=3, max_length=320)


class LinkOut(BaseModel):
    sent: bool = True
    message: str


class RedeemIn(Strict):
    token: str = Field(min_length=20, max_length=100)


class SessionOut(BaseModel):
    tenant_id: str
    purpose: str


def signin_limit(request: Request, runtime: RuntimeDep) -> None:
    settings = runtime.settings
    limit = ratelimit.Limit(
        "sign_in", settings.signin_rate_limit, settings.rate_limit_window_seconds
    )
    ratelimit.hit(runtime, limit, ratelimit.client_address(request))


def set_cookie(response: Response, runtime: Runtime, token: str) -> None:
    response.set_cookie(
        service.COOKIE,
        token,
        max_age=runtime.settings.customer_session_seconds,
        httponly=True,
        secure=runtime.settings.mode is not Mode.DEVELOPMENT,
        samesite="lax",  # the link is opened from a mail client: a cross-site navigation
        path="/",
    )


SIGN_IN_ANSWER = "if this email owns an account, a sign-in link is on its way"


@public.post("/link", response_model=LinkOut, status_code=202, dependencies=[Depends(signin_limit)])
def ask_for_link(body: LinkIn, runtime: RuntimeDep) -> LinkOut:
    """The same answer whether the email is known or not."""
    service.request_sign_in(runtime, body.email)
    return LinkOut(message=SIGN_IN_ANSWER)


@public.post("/redeem", response_model=SessionOut)
def redeem(body: RedeemIn, response: Response, runtime: RuntimeDep) -> SessionOut:
    """401 ``invalid_link`` for a used, expired or unknown link."""
    redeemed = service.redeem(runtime, body.token)
    set_cookie(response, runtime, redeemed.session_token)
    return SessionOut(tenant_id=redeemed.tenant_id, purpose=redeemed.purpose.value)


CustomerCookie = Annotated[str | None, Cookie(alias=service.COOKIE)]


@public.post("/logout", status_code=204)
def logout(response: Response, runtime: RuntimeDep, token: CustomerCookie = None) -> None:
    service.logout(runtime, token)
    response.delete_cookie(service.COOKIE, path="/")


def require_customer(runtime: RuntimeDep, token: CustomerCookie = None) -> service.Customer:
    customer = service.session_of(runtime, token)
    if customer is None:
        raise Unauthorized("sign in first: POST /public/auth/link, then open the emailed link")
    return customer


CurrentCustomer = Annotated[service.Customer, Depends(require_customer)]


@tenant_api.post("/token", response_model=TenantToken, status_code=201)
def token(customer: CurrentCustomer, runtime: RuntimeDep) -> TenantToken:
    """A short-lived tenant API token for the signed-in customer's session."""
    return TenantToken(
        token=runtime.tokens.issue(customer.tenant_id),
        expires_in=runtime.settings.tenant_token_ttl_seconds,
    )
