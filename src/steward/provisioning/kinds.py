"""Built-in step kinds: each returns a ``Step`` with its undo, timeout and retry policy.

allocate("numbers")                        a resource from a pool; released on undo
http_call("create", "POST", url, body)     an HTTP API call with an Idempotency-Key
validate_webhook("check", url_of)          Syston's HEAD → GET → OPTIONS cascade, SSRF-safe
send_email("welcome", subject, text)       SMTP (the sandbox mail sink in development)
seed_defaults("seed", {"post": {...}})     default content; removed on undo
wait_for_signal("installed", topic, 600)   an outside callback, with a timeout
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx

from steward.errors import ProviderError
from steward.pools import service as pools
from steward.providers.email import EmailMessage
from steward.provisioning import repository as repo
from steward.provisioning import urlcheck
from steward.provisioning.models import Resource
from steward.steps import PermanentStepError, Retry, Step, StepContext, Wait

Text = str | Callable[[StepContext], str]


def _text(value: Text, ctx: StepContext) -> str:
    return value(ctx) if callable(value) else value.format(tenant=ctx.tenant, outputs=ctx.outputs)


def allocate(
    pool: str,
    name: str | None = None,
    *,
    wait_timeout_seconds: float = 3600.0,
    retry: Retry = Retry(),
) -> Step:
    """One item of ``pool``; an empty pool makes the run wait (durably) up to the timeout."""

    def run(ctx: StepContext) -> dict[str, Any] | Wait:
        runtime = ctx.runtime
        with runtime.db.transaction() as session:
            item = pools.allocate(
                session, runtime.clock, runtime.bus, pool, ctx.tenant.id, ctx.idempotency_key
            )
            value = item.value if item is not None else None
        if value is None:
            return Wait(f"pool:{pool}", wait_timeout_seconds, f"waiting: pool {pool} is empty")
        return {"pool": pool, "value": value}

    def undo(ctx: StepContext) -> dict[str, Any]:
        with ctx.runtime.db.transaction() as session:
            released = pools.release(session, pool, ctx.idempotency_key)
        return {"pool": pool, "released": released}

    return Step(
        name or f"allocate_{pool}",
        run,
        undo,
        timeout_seconds=30,
        retry=retry,
        describe=f"allocate one item from pool {pool}",
    )


def http_call(
    name: str,
    method: str,
    url: Text,
    body: Callable[[StepContext], dict[str, Any]] | None = None,
    *,
    headers: Callable[[StepContext], dict[str, str]] | None = None,
    undo: Callable[[StepContext], dict[str, Any] | None] | None = None,
    timeout_seconds: float = 30.0,
    retry: Retry = Retry(attempts=5, backoff_seconds=1.0),
) -> Step:
    """5xx and network errors are retried; 4xx fail the step permanently."""

    def run(ctx: StepContext) -> dict[str, Any]:
        target = _text(url, ctx)
        sent = {"Idempotency-Key": ctx.idempotency_key, **(headers(ctx) if headers else {})}
        try:
            response = httpx.request(
                method,
                target,
                json=body(ctx) if body else None,
                headers=sent,
                timeout=timeout_seconds,
                verify=urlcheck.tls_context(),
            )
        except httpx.HTTPError as exc:
            raise ProviderError(f"{method} {target}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise ProviderError(f"{method} {target}: {response.status_code}")
        if response.status_code >= 400:
            raise PermanentStepError(
                f"{method} {target}: {response.status_code} {response.text[:200]}"
            )
        try:
            data = response.json()
        except ValueError:
            data = {}
        return {"status": response.status_code, "response": data}

    return Step(
        name,
        run,
        undo,
        timeout_seconds=timeout_seconds + 5,
        retry=retry,
        describe=f"{method} {url if isinstance(url, str) else '<computed URL>'}",
    )


def validate_webhook(
    name: str,
    url_of: Callable[[StepContext], str | None],
    *,
    strict: bool = False,
    retry: Retry = Retry(attempts=2, backoff_seconds=2.0),
) -> Step:
    """Fails permanently on an unsafe URL or when no method of the cascade is accepted."""

    def run(ctx: StepContext) -> dict[str, Any]:
        url = url_of(ctx)
        if not url:
            raise PermanentStepError("no webhook URL was given")
        settings = ctx.runtime.settings
        try:
            verdict = urlcheck.validate(
                url,
                strict=strict,
                timeout=settings.webhook_check_timeout,
                allow_private=settings.webhook_check_allow_private,
            )
        except urlcheck.UnsafeUrl as exc:
            raise PermanentStepError(f"webhook URL refused: {exc.message}") from exc
        if not verdict.ok:
            mode = "strict" if strict else "lenient"
            raise PermanentStepError(
                f"webhook URL failed validation ({mode}): " + ", ".join(verdict.tried)
            )
        return {"url": url, "method": verdict.method, "status": verdict.status}

    return Step(
        name,
        run,
        None,
        timeout_seconds=120,
        retry=retry,
        describe="validate the webhook URL (HEAD, GET, OPTIONS)",
    )


def send_email(
    name: str,
    subject: Text,
    text: Text,
    *,
    to: Callable[[StepContext], str] | None = None,
    retry: Retry = Retry(attempts=5, backoff_seconds=2.0),
) -> Step:
    """The idempotency key becomes the Message-ID: a re-run sends the same message."""

    def run(ctx: StepContext) -> dict[str, Any]:
        address = to(ctx) if to else ctx.tenant.email
        message = EmailMessage(to=address, subject=_text(subject, ctx), text=_text(text, ctx))
        # a Message-ID's left part is a dot-atom: no ':' (the run key has them)
        key = re.sub(r"[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]", ".", ctx.idempotency_key)
        message_id = ctx.runtime.mailer.send(message, idempotency_key=key)
        return {"to": address, "message_id": message_id}

    return Step(
        name,
        run,
        None,
        timeout_seconds=30,
        retry=retry,
        describe=f"send the email {subject if isinstance(subject, str) else name!r}",
    )


def seed_defaults(name: str, items: dict[str, dict[str, Any]], kind: str | None = None) -> Step:
    """Insert default content for the tenant (each item once); undo deletes it."""
    resource_kind = kind or name

    def run(ctx: StepContext) -> dict[str, Any]:
        runtime = ctx.runtime
        with runtime.db.transaction() as session:
            for key, data in items.items():
                repo.put_resource(
                    session,
                    Resource(
                        tenant_id=ctx.tenant.id,
                        kind=resource_kind,
                        name=key,
                        data=json.dumps(data, sort_keys=True),
                        created_at=runtime.clock.now(),
                    ),
                )
        return {"seeded": sorted(items)}

    def undo(ctx: StepContext) -> dict[str, Any]:
        with ctx.runtime.db.transaction() as session:
            removed = repo.delete_resources(session, ctx.tenant.id, resource_kind)
        return {"removed": removed}

    return Step(
        name,
        run,
        undo,
        timeout_seconds=30,
        touches_outside=False,
        describe=f"seed {len(items)} default item(s)",
    )


def wait_for_signal(
    name: str,
    topic: str,
    timeout_seconds: float,
    check: Callable[[StepContext, Any], dict[str, Any]] | None = None,
) -> Step:
    """Waits until ``DBOS.send(run workflow id, message, topic)``; ``check`` may refuse it."""

    def run(ctx: StepContext) -> dict[str, Any] | Wait:
        if topic not in ctx.signals:
            return Wait(topic, timeout_seconds, f"waiting for {topic}")
        message = ctx.signals[topic]
        return check(ctx, message) if check else {"signal": message}

    return Step(
        name,
        run,
        None,
        timeout_seconds=30,
        retry=Retry(attempts=1),
        describe=f"wait up to {timeout_seconds:g} s for {topic}",
    )


def tenant_input(name: str) -> Callable[[StepContext], str | None]:
    """What the customer supplied under ``name`` (``PUT /api/v1/provisioning/inputs/{name}``)."""

    def read(ctx: StepContext) -> str | None:
        with ctx.runtime.db.read() as session:
            return repo.get_input(session, ctx.tenant.id, name)

    return read
