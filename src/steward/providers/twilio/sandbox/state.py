"""The sandbox's account: its numbers, messages, calls and opt-outs, in Twilio's JSON shapes.

Every mutation happens under ``Store.lock``. Shapes follow the 2010-04-01 API: 34-character sids
(two letters, 32 hex digits), RFC 2822 dates, counts as strings, ``uri`` relative to the API root
(without the sandbox's mount point, as Twilio's are without its host)."""

from __future__ import annotations

import email.utils
import math
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

JSON = dict[str, Any]
API = "/2010-04-01"
E164 = re.compile(r"\+[1-9]\d{6,14}")
_GSM = re.compile(
    r"[A-Za-z0-9 \n\r@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,\-./:;<=>?¡ÄÖÑÜ§¿äöñüà]*"
)


class SandboxError(Exception):
    """A Twilio error answer: ``{"code", "message", "more_info", "status"}``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> JSON:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def bad(code: int, message: str) -> SandboxError:
    return SandboxError(400, code, message)


def not_found(path: str) -> SandboxError:
    return SandboxError(404, 20404, f"The requested resource {path} was not found")


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def rfc2822(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(UTC))


def segments(body: str) -> int:
    """SMS segments: 160 GSM-7 characters in one, 153 per part beyond; 70 and 67 in UCS-2."""
    single, part = (160, 153) if _GSM.fullmatch(body) else (70, 67)
    return 1 if len(body) <= single else math.ceil(len(body) / part)


def valid_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class Store:
    def __init__(self, account_sid: str, auth_token: str, now: Callable[[], datetime]) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.now = now
        self.lock = threading.RLock()
        self.numbers: dict[str, JSON] = {}  # PN sid -> IncomingPhoneNumber
        self.messages: dict[str, JSON] = {}  # SM sid -> Message, oldest first
        self.calls: dict[str, JSON] = {}  # CA sid -> Call, oldest first
        self.services: dict[str, list[str]] = {}  # MG sid -> its numbers
        self.opt_outs: set[tuple[str, str]] = set()  # (number or service sid, handset)
        self.unreachable: set[str] = set()  # handsets whose messages end undelivered
        self.answers: dict[str, tuple[str, int]] = {}  # handset -> how our calls to it end

    @property
    def root(self) -> str:
        return f"{API}/Accounts/{self.account_sid}"

    # -- numbers -------------------------------------------------------------------------------
    def owned(self, phone_number: str) -> JSON | None:
        return next((n for n in self.numbers.values() if n["phone_number"] == phone_number), None)

    def scope(self, phone_number: str) -> str:
        """What an opt-out applies to: the Messaging Service holding the number, else itself."""
        return next((s for s, nums in self.services.items() if phone_number in nums), phone_number)

    def get_number(self, sid: str) -> JSON:
        if sid not in self.numbers:
            raise not_found(f"{self.root}/IncomingPhoneNumbers/{sid}.json")
        return self.numbers[sid]

    # -- messages ------------------------------------------------------------------------------
    def new_message(
        self, *, to: str, from_: str | None, body: str, direction: str, status: str,
        service: str | None = None,
    ) -> JSON:  # fmt: skip
        sid, stamp = new_sid("SM"), rfc2822(self.now())
        message: JSON = {
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": body,
            "date_created": stamp, "date_sent": None, "date_updated": stamp,
            "direction": direction, "error_code": None, "error_message": None, "from": from_,
            "messaging_service_sid": service, "num_media": "0",
            "num_segments": str(segments(body)), "price": None, "price_unit": "USD", "sid": sid,
            "status": status,
            "subresource_uris": {"media": f"{self.root}/Messages/{sid}/Media.json"},
            "to": to, "uri": f"{self.root}/Messages/{sid}.json",
        }  # fmt: skip
        self.messages[sid] = message
        return message

    def get_message(self, sid: str) -> JSON:
        if sid not in self.messages:
            raise not_found(f"{self.root}/Messages/{sid}.json")
        return self.messages[sid]

    def set_status(self, obj: JSON, status: str, **changes: Any) -> None:
        obj.update(status=status, date_updated=rfc2822(self.now()), **changes)

    # -- calls ---------------------------------------------------------------------------------
    def new_call(self, *, to: str, from_: str, direction: str, number_sid: str | None) -> JSON:
        sid, stamp = new_sid("CA"), rfc2822(self.now())
        call: JSON = {
            "account_sid": self.account_sid, "annotation": None, "answered_by": None,
            "api_version": "2010-04-01", "caller_name": None, "date_created": stamp,
            "date_updated": stamp, "direction": direction, "duration": None, "end_time": None,
            "forwarded_from": None, "from": from_, "from_formatted": from_, "group_sid": None,
            "parent_call_sid": None, "phone_number_sid": number_sid, "price": None,
            "price_unit": "USD", "queue_time": "0", "sid": sid, "start_time": None,
            "status": "queued", "subresource_uris": {
                "recordings": f"{self.root}/Calls/{sid}/Recordings.json",
                "notifications": f"{self.root}/Calls/{sid}/Notifications.json",
            },
            "to": to, "to_formatted": to, "trunk_sid": None,
            "uri": f"{self.root}/Calls/{sid}.json",
        }  # fmt: skip
        self.calls[sid] = call
        return call

    def get_call(self, sid: str) -> JSON:
        if sid not in self.calls:
            raise not_found(f"{self.root}/Calls/{sid}.json")
        return self.calls[sid]


def page(items: Iterable[JSON], key: str, path: str, params: dict[str, str]) -> JSON:
    """One page of a list, newest first, as Twilio pages: ``Page`` and ``PageSize`` (at most
    1000, default 50) plus a ``PageToken`` naming the last sid seen, so rows added meanwhile
    neither repeat nor vanish between pages."""
    rows = list(items)
    size_raw, page_raw = params.get("PageSize", "50"), params.get("Page", "0")
    if not size_raw.isdigit() or not 1 <= int(size_raw) <= 1000:
        raise bad(20001, "PageSize must be a whole number from 1 to 1000")
    if not page_raw.isdigit():
        raise bad(20001, "Page must be a whole number")
    size, number = int(size_raw), int(page_raw)
    token = params.get("PageToken", "")
    start = number * size
    if token.startswith("PA"):
        sids = [row.get("sid") for row in rows]
        start = sids.index(token[2:]) + 1 if token[2:] in sids else len(rows)
    chunk = rows[start : start + size]
    filters = {k: v for k, v in params.items() if k not in ("Page", "PageSize", "PageToken")}

    def uri(n: int, **extra: str) -> str:
        return f"{path}?{urlencode({**filters, 'PageSize': size, 'Page': n, **extra})}"

    more = start + size < len(rows) and bool(chunk)
    return {
        key: chunk,
        "end": start + len(chunk) - 1 if chunk else start,
        "first_page_uri": uri(0),
        "next_page_uri": uri(number + 1, PageToken=f"PA{chunk[-1].get('sid', '')}") if more
        else None,
        "page": number,
        "page_size": size,
        "previous_page_uri": uri(number - 1) if number > 0 else None,
        "start": start,
        "uri": uri(number, **({"PageToken": token} if token else {})),
    }  # fmt: skip
