"""The parameters Stripe accepts for a call, read from the SDK's own TypedDicts, so the sandbox
refuses what Stripe would refuse."""

from __future__ import annotations

from typing import Any, cast

import stripe


def known(params_type: Any) -> frozenset[str]:
    keys = cast(Any, params_type).__required_keys__ | cast(Any, params_type).__optional_keys__
    options = cast(Any, stripe.RequestOptions)
    return frozenset[str](keys - options.__required_keys__ - options.__optional_keys__)
