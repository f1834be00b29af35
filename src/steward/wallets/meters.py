"""Find the product's meters and price usage with them."""

from __future__ import annotations

from steward.product import Meter, Product
from steward.wallets.errors import UnknownMeter


def meter(product: Product, key: str) -> Meter:
    for m in product.meters:
        if m.key == key:
            return m
    known = ", ".join(m.key for m in product.meters) or "none"
    raise UnknownMeter(f"meter {key!r} is not declared by {product.name}; known: {known}")


def call_meter(product: Product, key: str | None = None) -> Meter | None:
    """The meter that prices a voice call: the one named, else the first time-based meter."""
    if key:
        return next((m for m in product.meters if m.key == key), None)
    return next((m for m in product.meters if m.per in ("started_minute", "second")), None)
