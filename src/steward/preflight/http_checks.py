"""Over HTTP, against the deployment under test: our webhook endpoints answer at the public
address and refuse an unsigned request; and, only when asked (``--notify``), a test notification
on each alert channel."""

from __future__ import annotations

import time

import httpx

from steward.alerts import channels
from steward.checks import Check, Finding, Probe

WEBHOOKS = ("/webhooks/stripe", "/webhooks/vapi", "/webhooks/panel")


def webhooks_refuse_unsigned(probe: Probe) -> Finding:
    seen: list[str] = []
    bad: list[str] = []
    with probe.http() as http:
        health = http.get("/healthz")
        seen.append(f"GET /healthz {health.status_code}")
        for path in WEBHOOKS:
            started = time.perf_counter()
            try:
                r = http.post(
                    path,
                    content=b'{"id":"evt_preflight","type":"ping"}',
                    headers={"Content-Type": "application/json", "Authorization": ""},
                )
            except httpx.HTTPError as exc:
                bad.append(f"{path}: {type(exc).__name__}")
                continue
            ms = (time.perf_counter() - started) * 1000
            seen.append(f"POST {path} unsigned -> {r.status_code} in {ms:.0f} ms")
            if r.status_code not in (400, 401, 403):
                bad.append(f"{path} answered {r.status_code}")
    evidence = f"{probe.target}: " + "; ".join(seen)
    if health.status_code != 200 or bad:
        return Finding(
            False,
            evidence + ("; " + "; ".join(bad) if bad else ""),
            "serve the webhook routes at the public URL, signature checks on",
        )
    return Finding(True, evidence)


def alert_channels(probe: Probe) -> Finding:
    urls = channels.parse_urls(probe.runtime.settings.alert_urls)
    if not urls:
        return Finding(
            False,
            "STEWARD_ALERT_URLS is empty: no one hears an alert",
            "set STEWARD_ALERT_URLS to at least one apprise URL (Slack, email, SMS)",
        )
    if not probe.notify:
        shown = ", ".join(channels.mask(u) for u in urls)
        return Finding(True, f"{len(urls)} channel(s): {shown} (not sent: pass --notify to test)")
    results = [
        channels.send(
            u,
            "Steward preflight",
            "A test notification from steward preflight.",
            "info",
            timeout=min(probe.timeout, 10.0),
        )
        for u in urls
    ]
    failed = [r for r in results if not r.ok]
    evidence = "; ".join(
        f"{r.channel}: {'sent' if r.ok else 'failed: ' + r.error}" for r in results
    )
    if failed:
        return Finding(False, evidence, f"fix or remove the channel {failed[0].channel}")
    return Finding(True, evidence)


CHECKS = (
    Check(
        "http.webhooks",
        "our webhook URLs reachable and refusing unsigned requests",
        webhooks_refuse_unsigned,
        remote=True,
    ),
    Check(
        "alerts.channels",
        "alert channels deliver (test notification with --notify)",
        alert_channels,
        required_in=("production",),
    ),
)
