"""Steward's calls to Twilio, through the official SDK. The same code talks to the real API or to
the sandbox: only ``api_base`` differs (see ``_http`` for how). Every answer is a frozen record
from ``records``; every failure a ``TwilioError`` with Twilio's numeric code and HTTP status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from steward.errors import InvalidInput
from steward.kit.phone import mask_phone
from steward.providers.twilio import _sdk
from steward.providers.twilio._http import build_client, translate
from steward.providers.twilio.errors import NOT_FOUND, TwilioRejected
from steward.providers.twilio.ledger import SendLedger
from steward.providers.twilio.records import AvailableNumber, Call, PhoneNumber, SmsMessage


class TwilioGateway:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base: str = "",
        *,
        ledger: SendLedger | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.account_sid = account_sid
        self.ledger = ledger
        self.client: Any = build_client(account_sid, auth_token, api_base, timeout)

    def close(self) -> None:
        session = getattr(self.client.http_client, "session", None)
        if session is not None:
            session.close()

    # -- messages ------------------------------------------------------------------------------
    def send_sms(
        self,
        *,
        to: str,
        body: str,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
        key: str | None = None,
    ) -> SmsMessage:
        """Send ``body`` to ``to`` from a number or a Messaging Service (or a number within one).

        With ``key``, the send is recorded in the gateway's ledger first, so calling again with
        the same key returns the message already sent instead of texting twice (see ``ledger``).
        Raises RecipientOptedOut (21610), InvalidPhoneNumber (21211…), TwilioRejected for other
        refusals (the key is released) and TwilioUnavailable (the key stays in doubt)."""
        if not from_number and not messaging_service_sid:
            raise InvalidInput("twilio: a send needs from_number or messaging_service_sid")
        if key is not None:
            if self.ledger is None:
                raise InvalidInput("twilio: a send key needs a gateway built with a ledger")
            sent = self.ledger.claim(key)
            if sent is not None:
                return self.fetch_message(sent)
        try:
            created = self.client.messages.create(
                to=to,
                body=body,
                from_=from_number,
                messaging_service_sid=messaging_service_sid,
                status_callback=status_callback,
            )
            message = _sdk.message(created)
        except Exception as exc:
            error = translate(exc, f"send a message to {mask_phone(to)}")
            if key is not None and self.ledger is not None and isinstance(error, TwilioRejected):
                self.ledger.release(key)
            raise error from exc
        if key is not None and self.ledger is not None:
            self.ledger.record(key, message.sid)
        return message

    def fetch_message(self, sid: str) -> SmsMessage:
        try:
            return _sdk.message(self.client.messages(sid).fetch())
        except Exception as exc:
            raise translate(exc, f"fetch message {sid}") from exc

    def list_messages(
        self,
        *,
        to: str | None = None,
        from_number: str | None = None,
        sent_after: datetime | None = None,
        limit: int = 100,
    ) -> list[SmsMessage]:
        """Messages newest first; how a send in doubt is resolved."""
        try:
            found = self.client.messages.list(
                to=to, from_=from_number, date_sent_after=sent_after, limit=limit
            )
            return [_sdk.message(m) for m in found]
        except Exception as exc:
            raise translate(exc, "list messages") from exc

    # -- calls ---------------------------------------------------------------------------------
    def fetch_call(self, sid: str) -> Call:
        try:
            return _sdk.call(self.client.calls(sid).fetch())
        except Exception as exc:
            raise translate(exc, f"fetch call {sid}") from exc

    # -- phone numbers -------------------------------------------------------------------------
    def search_numbers(
        self,
        country: str = "US",
        *,
        area_code: str | None = None,
        contains: str | None = None,
        sms: bool | None = True,
        voice: bool | None = None,
        limit: int = 20,
    ) -> list[AvailableNumber]:
        """Local numbers Twilio offers in ``country`` (ISO 3166 alpha-2)."""
        try:
            found = self.client.available_phone_numbers(country.upper()).local.list(
                area_code=area_code,
                contains=contains,
                sms_enabled=sms,
                voice_enabled=voice,
                limit=limit,
            )
            return [_sdk.available_number(n) for n in found]
        except Exception as exc:
            raise translate(exc, f"search numbers in {country}") from exc

    def buy_number(
        self,
        phone_number: str,
        *,
        sms_url: str | None = None,
        voice_url: str | None = None,
        status_callback: str | None = None,
        friendly_name: str | None = None,
    ) -> PhoneNumber:
        """Purchase ``phone_number`` (from ``search_numbers``) and set its webhooks. Buying is
        not idempotent at Twilio: a provisioning step looks with ``list_numbers`` first."""
        try:
            bought = self.client.incoming_phone_numbers.create(
                phone_number=phone_number,
                sms_url=sms_url,
                voice_url=voice_url,
                status_callback=status_callback,
                friendly_name=friendly_name,
            )
            return _sdk.phone_number(bought)
        except Exception as exc:
            raise translate(exc, f"buy {mask_phone(phone_number)}") from exc

    def list_numbers(
        self, *, phone_number: str | None = None, limit: int = 1000
    ) -> list[PhoneNumber]:
        try:
            found = self.client.incoming_phone_numbers.list(phone_number=phone_number, limit=limit)
            return [_sdk.phone_number(n) for n in found]
        except Exception as exc:
            raise translate(exc, "list numbers") from exc

    def update_number(
        self,
        sid: str,
        *,
        sms_url: str | None = None,
        voice_url: str | None = None,
        status_callback: str | None = None,
        friendly_name: str | None = None,
    ) -> PhoneNumber:
        """Change what is given; None leaves a setting as it is, "" clears a URL."""
        try:
            updated = self.client.incoming_phone_numbers(sid).update(
                sms_url=sms_url,
                voice_url=voice_url,
                status_callback=status_callback,
                friendly_name=friendly_name,
            )
            return _sdk.phone_number(updated)
        except Exception as exc:
            raise translate(exc, f"update number {sid}") from exc

    def release_number(self, sid: str) -> bool:
        """Give the number back to Twilio. False if it was already gone (safe to repeat)."""
        try:
            self.client.incoming_phone_numbers(sid).delete()
        except Exception as exc:
            error = translate(exc, f"release number {sid}")
            if error.twilio_code == NOT_FOUND or error.status == 404:
                return False
            raise error from exc
        return True
