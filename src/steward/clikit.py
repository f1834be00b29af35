"""What every command group shares: the consoles, and the runtime the ``steward`` command
built for this invocation. The root command (``steward.cli``) sets the builder before any
command runs; a domain's commands call ``runtime()`` and never build one themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from dbos import DBOSClient
from rich.console import Console

from steward.errors import ConfigError
from steward.runtime import Runtime

console = Console()
err = Console(stderr=True)


class Process(Protocol):
    """What the composition root builds (``steward.bootstrap.Steward``)."""

    @property
    def runtime(self) -> Runtime: ...
    def start(self, role: str, *, durable: bool = True, workers: int | None = None) -> None: ...
    def stop(self, *, durable: bool = True) -> None: ...


_builder: list[Callable[[], Process]] = []
_built: list[Process] = []


def use(builder: Callable[[], Process]) -> None:
    _builder[:] = [builder]
    _built.clear()


def process() -> Process:
    """This invocation's Steward, built on first use."""
    if not _built:
        if not _builder:
            raise ConfigError("no runtime: run commands through the steward command")
        _built.append(_builder[0]())
    return _built[0]


def runtime() -> Runtime:
    return process().runtime


@contextmanager
def started(role: str) -> Iterator[Runtime]:
    """The runtime with the durable engine running in this process (no inbox workers)."""
    proc = process()
    proc.start(role, workers=0)
    try:
        yield proc.runtime
    finally:
        proc.stop()


@contextmanager
def with_client() -> Iterator[Runtime]:
    """The runtime with a DBOS client, to enqueue and signal workflows from outside a worker."""
    rt = runtime()
    rt.bus.client = DBOSClient(
        system_database_url=rt.settings.database_url,
        dbos_system_schema=rt.settings.dbos_schema,
        application_name="steward",
    )
    try:
        yield rt
    finally:
        rt.bus.client.destroy()
        rt.bus.client = None
