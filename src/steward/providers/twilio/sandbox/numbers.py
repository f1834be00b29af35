"""Numbers for sale and numbers owned: ``AvailablePhoneNumbers`` and ``IncomingPhoneNumbers``.

The sandbox sells numbers from ranges reserved for fiction, so nothing it hands out can ring a
real phone: in the US and Canada 555-0100 to 555-0199 of a few area codes, in the UK 020 7946
0000 to 0999 (Ofcom's drama range). An area code outside the table has no numbers (as Twilio's
test area code 533), which is how a test meets 21452."""

from __future__ import annotations

import re

from steward.providers.twilio.sandbox.state import JSON, Store, bad, new_sid, rfc2822

_AREAS: dict[str, dict[str, tuple[str, str]]] = {
    "US": {"415": ("CA", "San Francisco"), "212": ("NY", "New York"), "512": ("TX", "Austin")},
    "CA": {"604": ("BC", "Vancouver"), "416": ("ON", "Toronto")},
}
_LETTERS = {"2": "abc", "3": "def", "4": "ghi", "5": "jkl", "6": "mno", "7": "pqrs", "8": "tuv"}
_KEYPAD = {c: d for d, cs in {**_LETTERS, "9": "wxyz"}.items() for c in cs}
_CAPABILITIES = {"voice": True, "SMS": True, "MMS": True, "fax": False}
UPDATABLE = {
    "FriendlyName": "friendly_name", "SmsUrl": "sms_url", "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url", "SmsFallbackMethod": "sms_fallback_method",
    "VoiceUrl": "voice_url", "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url", "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback", "StatusCallbackMethod": "status_callback_method",
}  # fmt: skip


def catalogue(country: str) -> list[JSON]:
    """Every number the sandbox could sell in ``country``, owned or not."""
    if country == "GB":
        return [
            _offer(f"+44207946{n:04d}", f"020 7946 {n:04d}", "GB", "London", "London")
            for n in range(1000)
        ]
    return [
        _offer(f"+1{area}55501{n:02d}", f"({area}) 555-01{n:02d}", country, region, city)
        for area, (region, city) in _AREAS.get(country, {}).items()
        for n in range(100)
    ]


def _offer(e164: str, friendly: str, country: str, region: str, locality: str) -> JSON:
    return {
        "address_requirements": "none", "beta": False, "capabilities": dict(_CAPABILITIES),
        "friendly_name": friendly, "iso_country": country, "lata": None, "latitude": None,
        "locality": locality, "longitude": None, "phone_number": e164, "postal_code": None,
        "rate_center": None, "region": region,
    }  # fmt: skip


def country_of(e164: str) -> str | None:
    if e164.startswith("+44"):
        return "GB"
    area = e164[2:5] if e164.startswith("+1") else ""
    return next((c for c, areas in _AREAS.items() if area in areas), None)


def _pattern(contains: str) -> re.Pattern[str]:
    digits = "".join(_KEYPAD.get(c, c) for c in contains.lower())
    if not re.fullmatch(r"\+?[0-9*]+", digits):
        raise bad(21421, f"Contains must be digits, letters or '*': {contains}")
    return re.compile(re.escape(digits).replace(r"\*", "[0-9]"))


def search(store: Store, country: str, params: dict[str, str]) -> list[JSON]:
    owned = {n["phone_number"] for n in store.numbers.values()}
    offers = [o for o in catalogue(country) if o["phone_number"] not in owned]
    if area := params.get("AreaCode"):
        offers = [o for o in offers if o["phone_number"][2:5] == area and country != "GB"]
    if contains := params.get("Contains"):
        pattern = _pattern(contains)
        offers = [o for o in offers if pattern.search(o["phone_number"])]
    for name, flag in (("SmsEnabled", "SMS"), ("MmsEnabled", "MMS"), ("VoiceEnabled", "voice")):
        wanted = params.get(name, "").lower()
        if wanted in ("true", "false"):
            offers = [o for o in offers if o["capabilities"][flag] == (wanted == "true")]
    for name, field in (("InRegion", "region"), ("InLocality", "locality")):
        if params.get(name):
            offers = [o for o in offers if o[field].lower() == params[name].lower()]
    return offers


def buy(store: Store, params: dict[str, str]) -> JSON:
    wanted, area = params.get("PhoneNumber", ""), params.get("AreaCode", "")
    if wanted:
        country = country_of(wanted)
        if not re.fullmatch(r"\+[1-9]\d{6,14}", wanted) or country is None:
            raise bad(21421, f"PhoneNumber {wanted} is invalid.")
        offers = search(store, country, {})
        offer = next((o for o in offers if o["phone_number"] == wanted), None)
        if offer is None:
            raise bad(21422, f"PhoneNumber {wanted} is not available.")
    elif area:
        offers = search(store, "US", {"AreaCode": area}) or search(store, "CA", {"AreaCode": area})
        if not offers:
            raise bad(21452, f"No phone numbers found in area code {area}.")
        offer = offers[0]
    else:
        raise bad(21421, "A 'PhoneNumber' or an 'AreaCode' is required.")
    sid, stamp = new_sid("PN"), rfc2822(store.now())
    number: JSON = {
        "account_sid": store.account_sid, "address_requirements": "none", "address_sid": None,
        "api_version": "2010-04-01", "beta": False, "bundle_sid": None,
        "capabilities": {k.lower(): v for k, v in offer["capabilities"].items()},
        "date_created": stamp, "date_updated": stamp, "emergency_address_sid": None,
        "emergency_address_status": "unregistered", "emergency_status": "Inactive",
        "friendly_name": offer["friendly_name"], "identity_sid": None, "origin": "twilio",
        "phone_number": offer["phone_number"], "sid": sid, "sms_application_sid": "",
        "sms_fallback_method": "POST", "sms_fallback_url": "", "sms_method": "POST",
        "sms_url": "", "status": "in-use", "status_callback": "",
        "status_callback_method": "POST", "subresource_uris": {
            "assigned_add_ons": f"{store.root}/IncomingPhoneNumbers/{sid}/AssignedAddOns.json"},
        "trunk_sid": None, "type": "local", "uri": f"{store.root}/IncomingPhoneNumbers/{sid}.json",
        "voice_application_sid": None, "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST", "voice_fallback_url": None, "voice_method": "POST",
        "voice_receive_mode": "voice", "voice_url": None,
    }  # fmt: skip
    update(store, number, params)
    store.numbers[sid] = number
    return number


def update(store: Store, number: JSON, params: dict[str, str]) -> JSON:
    changes = {field: params[name] for name, field in UPDATABLE.items() if name in params}
    if changes:
        number.update(changes, date_updated=rfc2822(store.now()))
    return number
