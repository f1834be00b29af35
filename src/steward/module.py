"""What a domain declares about itself, once, in ``<domain>/module.py`` as ``MODULE``.

Bootstrap lists the modules in order and composes them (``steward.bootstrap``); the app and the
CLI loop over them. Nothing here knows any domain: a module names its routers, the inbound
events it handles, the domain events it subscribes to (DBOS workflows, as functions), its
schedules and queues, its CLI group, its cockpit pages, the tables it owns, how it builds its
services, and how it deletes what a tenant owns.

Some declarations depend on settings or on the product (a cron from settings, a subscription per
alert rule): ``extend`` returns those, given the runtime, and they are composed like the rest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer
from fastapi import APIRouter, FastAPI
from sqlalchemy.orm import Session

from steward.config import Settings
from steward.runtime import Runtime

if TYPE_CHECKING:  # type-only: the handler context is the inbox's, which imports this runtime
    from steward.inbox.handlers import HandlerContext

Handler = Callable[["HandlerContext"], None]
Workflow = Callable[[int], Any]  # a DBOS workflow taking a domain event id
ScheduledWorkflow = Callable[[datetime, Any], Any]  # a DBOS workflow DBOS's scheduler starts


@dataclass(frozen=True)
class On:
    """Apply ``handler`` to inbound events of ``source`` with one of ``types``."""

    source: str
    types: tuple[str, ...]
    handler: Handler


@dataclass(frozen=True)
class Subscribe:
    """Start ``workflow`` (its id: ``<workflow name>:<domain event id>``) on ``event_type``."""

    event_type: str
    workflow: Workflow


@dataclass(frozen=True)
class Schedule:
    name: str
    workflow: ScheduledWorkflow
    cron: Callable[[Settings], str]  # a six-field cron (seconds first), usually from settings


@dataclass(frozen=True)
class Queue:
    name: str
    concurrency: Callable[[Settings], int]  # workers per process
    poll_seconds: Callable[[Settings], float] = lambda s: s.domain_queue_poll_seconds


@dataclass(frozen=True)
class Command:
    name: str
    app: typer.Typer


@dataclass(frozen=True)
class Extension:
    """Declarations that depend on the runtime (settings, product)."""

    handlers: Sequence[On] = ()
    subscribers: Sequence[Subscribe] = ()


@dataclass(frozen=True)
class TenantRows:
    """What a module's ``delete_tenant`` did, by table: rows deleted, and rows kept with their
    tenant reference cleared (a provider's record of an event stays)."""

    deleted: dict[str, int] = field(default_factory=dict)
    cleared: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Module:
    name: str
    routers: Sequence[APIRouter] = ()
    pages: Sequence[APIRouter] = ()  # cockpit or customer pages (HTML)
    handlers: Sequence[On] = ()
    subscribers: Sequence[Subscribe] = ()
    schedules: Sequence[Schedule] = ()
    queues: Sequence[Queue] = ()
    commands: Sequence[Command] = ()
    tables: Sequence[str] = ()  # the tables whose rows this domain owns
    setup: Callable[[Runtime], None] | None = None  # build and add the domain's services
    extend: Callable[[Runtime], Extension] | None = None
    mount: Callable[[FastAPI, Runtime], None] | None = None  # sandboxes, static files
    # Delete (or clear) what a tenant owns in this domain, in the caller's transaction. It may
    # refuse, before changing anything, by raising steward.tenants.deletion.TenantHeld.
    delete_tenant: Callable[[Session, str], TenantRows] | None = None
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # path prefix -> headers
