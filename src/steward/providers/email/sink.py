"""The email sandbox: a real SMTP server on loopback that keeps every message it receives,
collapsing repeats of one Message-ID, and a page that shows them (mounted at /sandbox/mail)."""

from __future__ import annotations

import html
import logging
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from typing import Any

from aiosmtpd.controller import Controller
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

QUIET_LOGGERS = ("mail.log", "mail.debug")  # aiosmtpd's loggers


@dataclass(frozen=True)
class ReceivedMail:
    message_id: str
    sender: str
    to: str
    subject: str
    text: str
    deliveries: int


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, MimeMessage)
        body = parsed.get_body(preferencelist=("plain", "html"))
        self.sink.receive(
            message_id=str(parsed.get("Message-ID", "")),
            sender=str(parsed.get("From", envelope.mail_from)),
            to=str(parsed.get("To", ",".join(envelope.rcpt_tos))),
            subject=str(parsed.get("Subject", "")),
            text=body.get_content() if body is not None else "",
        )
        return "250 Message accepted for delivery"


class MailSink:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._mail: dict[str, ReceivedMail] = {}
        self._controller = Controller(_Handler(self), hostname=host, port=port or _free_port(host))
        self.router = APIRouter()
        self.router.add_api_route(
            "/", self._page, methods=["GET"], response_class=HTMLResponse, include_in_schema=False
        )

    @property
    def url(self) -> str:
        return f"smtp://{self._controller.hostname}:{self._controller.port}"

    def start(self) -> None:
        # aiosmtpd logs every connection at INFO ("Peer: ...", "Available AUTH mechanisms"),
        # which would open `make run` with noise before Steward's own lines.
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def receive(self, *, message_id: str, sender: str, to: str, subject: str, text: str) -> None:
        with self._lock:
            seen = self._mail.get(message_id)
            self._mail[message_id] = ReceivedMail(
                message_id, sender, to, subject, text, (seen.deliveries + 1) if seen else 1
            )

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._mail.values())

    def to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.messages if address.lower() in m.to.lower()]

    def _page(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(m.to)}</td><td>{html.escape(m.subject)}</td>"
            f"<td><pre>{html.escape(m.text)}</pre></td><td>{m.deliveries}</td></tr>"
            for m in reversed(self.messages)
        )
        return (
            "<!doctype html><meta charset=utf-8><title>Sandbox mail</title>"
            "<h1>Sandbox mail</h1><table border=1 cellpadding=6>"
            "<tr><th>to</th><th>subject</th><th>text</th><th>deliveries</th></tr>"
            f"{rows}</table>"
        )


def _free_port(host: str) -> int:

    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
