"""Refilling a number pool from Twilio when it falls below its watermark (opt-in).

On ``pool.low`` or ``pool.empty``, ``plan`` decides how many numbers to buy, under the pool's
row lock so concurrent events never buy twice for one shortfall: up to the watermark, less the
purchases already on their way, within the day's cap (``STEWARD_POOL_PURCHASE_MAX_PER_DAY``),
only with ``STEWARD_POOL_PURCHASES`` on and the ``number_purchases`` kill switch on. Each
purchase is a row (``claimed``) committed before Twilio is called, keyed ``buy:<pool>:<event>:<n>``
and bought under that key as its FriendlyName, so ``buy`` run again finds the number it bought
instead of buying another. A bought number gets our SMS, voice and status webhooks and joins the
pool; the runs waiting on the pool are then woken."""

from __future__ import annotations

from datetime import datetime

import structlog

from steward.errors import IllegalTransition
from steward.kit.phone import mask_phone
from steward.pools import purchase_repository as purchases
from steward.pools import repository as repo
from steward.pools import service
from steward.pools.models import PoolPurchase, PurchaseStatus
from steward.providers.twilio import PhoneNumber, TwilioRejected
from steward.runtime import Runtime

log = structlog.get_logger("steward.pools")
FLAG = "number_purchases"


def _day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def enabled_for(runtime: Runtime, pool: str) -> str:
    """Why this pool is not refilled now; "" when it may be."""
    settings = runtime.settings
    names = {p.strip() for p in settings.pool_purchase_pools.split(",") if p.strip()}
    if not settings.pool_purchases:
        return "STEWARD_POOL_PURCHASES is off"
    if pool not in names:
        return f"pool {pool} is not in STEWARD_POOL_PURCHASE_POOLS"
    if not runtime.flags.enabled(FLAG):
        return f"kill switch {FLAG} is off"
    return ""


def plan(runtime: Runtime, pool: str, cause: str) -> list[str]:
    """Claim the purchases this shortfall needs; returns their keys."""
    reason = enabled_for(runtime, pool)
    if reason:
        log.info("pool.purchase_skipped", pool=pool, reason=reason)
        return []
    now = runtime.clock.now()
    with runtime.db.transaction() as session:
        repo.get(session, pool, for_update=True)  # one shortfall, one decision
        level = repo.level(session, pool)
        coming = purchases.claimed(session, pool)
        need = max(level.low_watermark - level.free - coming, 0)
        if level.free + coming == 0:
            need = max(need, 1)  # an empty pool with a zero watermark still needs one
        left = runtime.settings.pool_purchase_max_per_day - purchases.count_since(
            session, pool, _day(now)
        )
        count = max(min(need, left), 0)
        keys = [f"buy:{pool}:{cause}:{n}" for n in range(count)]
        for key in keys:
            purchases.add(
                session,
                PoolPurchase(
                    pool=pool, key=key, status=PurchaseStatus.CLAIMED.value,
                    created_at=now, updated_at=now,
                ),
            )  # fmt: skip
    if need > count:
        log.warning("pool.purchase_capped", pool=pool, needed=need, buying=count)
    return keys


def buy(runtime: Runtime, key: str) -> str:
    """Buy the claimed number (or find the one bought under ``key``); returns the status."""
    with runtime.db.read() as session:
        purchase = purchases.by_key(session, key)
        if purchase.status != PurchaseStatus.CLAIMED.value:
            return purchase.status
        pool = purchase.pool
    twilio = runtime.twilio
    bought = next((n for n in twilio.list_numbers() if n.friendly_name == key), None)
    if bought is None:
        try:
            offers = twilio.search_numbers(runtime.product.default_region, sms=True, limit=1)
            if not offers:
                return _failed(runtime, key, "Twilio has no number to sell in this region")
            base = runtime.settings.public_url.rstrip("/")
            bought = twilio.buy_number(
                offers[0].phone_number,
                sms_url=f"{base}/webhooks/twilio/sms",
                voice_url=f"{base}/webhooks/twilio/voice",
                status_callback=f"{base}/webhooks/twilio/status",
                friendly_name=key,
            )
        except TwilioRejected as exc:
            return _failed(runtime, key, str(exc))
    return _bought(runtime, pool, key, bought)


def _bought(runtime: Runtime, pool: str, key: str, number: PhoneNumber) -> str:
    now = runtime.clock.now()
    with runtime.db.transaction() as session:
        try:
            purchases.transition(
                session, key, PurchaseStatus.BOUGHT, now,
                phone_number=number.phone_number, twilio_sid=number.sid,
            )  # fmt: skip
        except IllegalTransition:
            return purchases.by_key(session, key).status
        service.add(session, runtime.clock, pool, [number.phone_number])
    log.info("pool.number_bought", pool=pool, number=mask_phone(number.phone_number), key=key)
    return PurchaseStatus.BOUGHT.value


def _failed(runtime: Runtime, key: str, error: str) -> str:
    with runtime.db.transaction() as session:
        purchases.transition(
            session, key, PurchaseStatus.FAILED, runtime.clock.now(), error=error[:500]
        )
    log.warning("pool.purchase_failed", key=key, error=error)
    return PurchaseStatus.FAILED.value


def release_webhooks(runtime: Runtime, phone_number: str) -> bool:
    """Point a number's SMS and voice webhooks nowhere (a tenant gave it back); False when the
    account does not own it."""
    owned = runtime.twilio.list_numbers(phone_number=phone_number)
    number = next((n for n in owned if n.phone_number == phone_number), None)
    if number is None:
        return False
    runtime.twilio.update_number(number.sid, sms_url="", voice_url="")
    return True
