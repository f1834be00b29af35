"""Sending mail over SMTP with the standard library.

SMTP has no idempotency key, so the caller's key becomes the Message-ID: a step that is re-run
after a crash sends the same Message-ID again, which the sandbox sink (and most receivers) collapse
into one message."""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from steward.errors import ConfigError, ProviderError


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str | None = None


class SmtpMailer:
    """``smtp://user:pass@host:port`` (STARTTLS when offered) or ``smtps://…`` (TLS)."""

    def __init__(self, url: str, sender: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError(
                f"STEWARD_SMTP_URL: expected smtp://host:port or smtps://…, got {url!r}"
            )
        self.host = parts.hostname
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.tls = parts.scheme == "smtps"
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout
        self.domain = sender.rpartition("@")[2].strip(" <>") or "steward.local"

    def send(self, message: EmailMessage, idempotency_key: str) -> str:
        """Send one message; returns its Message-ID (derived from the idempotency key)."""
        mime = MimeMessage()
        local = re.sub(r"[^A-Za-z0-9._+-]", "_", idempotency_key)  # a Message-ID's left side
        message_id = f"<{local}@{self.domain}>"
        mime["From"] = self.sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Date"] = formatdate(localtime=False)
        mime["Message-ID"] = message_id
        mime.set_content(message.text)
        if message.html:
            mime.add_alternative(message.html, subtype="html")
        try:
            smtp_cls = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
            with smtp_cls(self.host, self.port, timeout=self.timeout) as smtp:
                if not self.tls and smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                if self.user and self.password:
                    smtp.login(self.user, self.password)
                smtp.send_message(mime)
        except (OSError, smtplib.SMTPException) as exc:
            raise ProviderError(f"smtp: cannot send to {self.host}:{self.port}: {exc}") from exc
        return message_id
