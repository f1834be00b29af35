"""The providers' sandboxes, served by Steward itself when ``STEWARD_SANDBOX`` is on: protocol
peers that the real clients reach with only their base URL changed (``/sandbox/<provider>``),
and a mail sink that catches what Steward sends."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from fastapi import FastAPI

from steward.config import Settings
from steward.providers.email import MailSink
from steward.providers.panel import PanelSandbox
from steward.providers.stripe.sandbox import StripeSandbox
from steward.providers.twilio.sandbox import SandboxError, TwilioSandbox
from steward.providers.vapi.sandbox import VapiSandbox
from steward.providers.whop.sandbox import WhopSandbox

log = structlog.get_logger("steward.sandboxes")


@dataclass
class Sandboxes:
    stripe: StripeSandbox | None = None
    mail: MailSink | None = None
    panel: PanelSandbox | None = None
    vapi: VapiSandbox | None = None
    twilio: TwilioSandbox | None = None
    whop: WhopSandbox | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> Sandboxes:
        if not settings.sandbox:
            return cls()
        base = settings.public_url.rstrip("/")
        return cls(
            stripe=StripeSandbox(
                webhook_url=f"{base}/webhooks/stripe", webhook_secret=settings.webhook_secrets[0]
            ),
            mail=None if settings.smtp_url else MailSink(port=settings.sandbox_smtp_port),
            panel=PanelSandbox(
                f"{base}/webhooks/panel",
                settings.panel_webhook_secret,
                settings.sandbox_panel_delay_seconds,
            ),
            vapi=VapiSandbox(
                webhook_url=f"{base}/webhooks/vapi",
                webhook_secret=settings.vapi_webhook_secret,
                api_key=settings.vapi_api_key,
            ),
            twilio=_twilio(settings, base),
            whop=WhopSandbox(
                webhook_url=f"{base}/webhooks/whop",
                webhook_secret=settings.whop_webhook_secrets[0],
                api_keys=[settings.whop_api_key],
            ),
        )

    def mount(self, app: FastAPI) -> None:
        if self.stripe is not None:
            app.mount("/sandbox/stripe", self.stripe.app)
        if self.mail is not None:
            app.include_router(self.mail.router, prefix="/sandbox/mail")
        if self.panel is not None:
            app.mount("/sandbox/panel", self.panel.app)
        if self.vapi is not None:
            app.mount("/sandbox/vapi", self.vapi.app)
        if self.twilio is not None:
            app.mount("/sandbox/twilio", self.twilio.app)
        if self.whop is not None:
            app.mount("/sandbox/whop", self.whop.app)

    def start(self) -> None:
        if self.stripe is not None:
            self.stripe.start()
        if self.mail is not None:
            self.mail.start()
        if self.twilio is not None:
            self.twilio.start()
        if self.whop is not None:
            self.whop.start()

    def stop(self) -> None:
        if self.stripe is not None:
            self.stripe.stop()
        if self.mail is not None:
            self.mail.stop()
        if self.twilio is not None:
            self.twilio.stop()
        if self.whop is not None:
            self.whop.stop()


def _twilio(settings: Settings, base: str) -> TwilioSandbox:
    """The sandbox account, owning the product's sending number (when the sandbox sells it)
    with its webhooks pointed at this server, as a real number would be configured."""
    sandbox = TwilioSandbox(settings.twilio_account_sid, settings.twilio_auth_token)
    if settings.twilio_from_number:
        try:
            sandbox.add_number(
                settings.twilio_from_number,
                SmsUrl=f"{base}/webhooks/twilio/sms",
                VoiceUrl=f"{base}/webhooks/twilio/voice",
                StatusCallback=f"{base}/webhooks/twilio/status",
            )
        except SandboxError as exc:
            log.warning("sandbox.twilio_number_refused", error=exc.message)
    return sandbox
