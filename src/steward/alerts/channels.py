"""Delivery channels: apprise URLs (Slack, Discord, email, JSON webhooks...), and
``steward-sms://+E164`` for a text through Steward's own messaging (Twilio), so an SMS alert is
recorded, sent at most once and followed to its delivery like every other text.

``send`` makes one attempt at one channel and returns what happened; retries, backoff and the
delivery log belong to the delivery workflow (``workflows.deliver_channel``)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import warnings
from dataclasses import dataclass

import apprise

from steward.errors import StewardError
from steward.kit.phone import mask_phone
from steward.messaging.models import Status
from steward.messaging.sending import send_now
from steward.runtime import Runtime

with warnings.catch_warnings():
    # apprise's email plugin imports the stdlib's deprecated imghdr when its plugins load;
    # import it once here, quietly, so that load does not warn (warnings are errors in tests).
    warnings.simplefilter("ignore", DeprecationWarning)
    with contextlib.suppress(ImportError):  # Python 3.13+: apprise ships its own shim
        import imghdr  # noqa: F401

SMS = "steward-sms://"
SMS_UNDONE = {Status.FAILED.value, Status.UNDELIVERED.value, Status.PENDING.value}

SEVERITY_TYPES = {
    "info": apprise.NotifyType.INFO,
    "warning": apprise.NotifyType.WARNING,
    "critical": apprise.NotifyType.FAILURE,
}


@dataclass(frozen=True)
class SendResult:
    channel: str  # masked
    ok: bool
    error: str = ""


def parse_urls(value: str) -> list[str]:
    """``STEWARD_ALERT_URLS``: apprise URLs separated by commas or whitespace."""
    return [u for u in re.split(r"[\s,]+", value.strip()) if u]


def mask(url: str) -> str:
    """The URL as it may be shown and logged: passwords and tokens hidden by apprise."""
    if url.startswith(SMS):
        return SMS + mask_phone(url.removeprefix(SMS))
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return url.split("://", 1)[0] + "://(unparseable)"
    return str(plugin.url(privacy=True))[:200]  # type: ignore[no-untyped-call]


def send(
    url: str,
    title: str,
    body: str,
    severity: str = "warning",
    timeout: float = 10.0,
    *,
    runtime: Runtime | None = None,
) -> SendResult:
    channel = mask(url)
    if url.startswith(SMS):
        return _sms(runtime, channel, url.removeprefix(SMS), f"{title}\n{body}")
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return SendResult(channel, False, "not a valid apprise URL")
    with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
        try:
            ok = bool(
                notifier.notify(
                    body=body,
                    title=title,
                    notify_type=SEVERITY_TYPES.get(severity, apprise.NotifyType.WARNING),
                    timeout=timeout,
                )
            )
        except Exception as exc:  # a plugin bug must not escape as a crash of the sweep
            return SendResult(channel, False, f"{type(exc).__name__}: {exc}")
        text = captured.getvalue() if hasattr(captured, "getvalue") else ""
    error = "" if ok else (_last_line(str(text)) or "the channel refused the message")
    return SendResult(channel, ok, error)


def _last_line(text: str) -> str:
    lines = [line.split(" - ", 2)[-1] for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-2:])[:500]


def _sms(runtime: Runtime | None, channel: str, to: str, text: str) -> SendResult:
    """Text ``to`` through the messaging service. The key is the text's own hash: a retried
    attempt of one notification (whose body names it) never texts twice."""
    if runtime is None:
        return SendResult(channel, False, "an SMS channel needs the runtime")
    text = text[:1600]
    key = "alert:" + hashlib.sha256(f"{to}\n{text}".encode()).hexdigest()[:48]
    try:
        status = send_now(runtime, to=to, body=text, purpose="alert", key=key)
    except StewardError as exc:  # opted out, not configured, a bad number, Twilio down
        return SendResult(channel, False, f"{exc.code}: {exc.message}"[:500])
    if status in SMS_UNDONE:
        return SendResult(channel, False, f"the text is {status}")
    return SendResult(channel, True)
