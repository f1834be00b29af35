"""Configuration: secrets, mode, token keys, the public URL, and the Stripe key's mode."""

from __future__ import annotations

from urllib.parse import urlparse

from steward.checks import Check, Finding, Probe
from steward.config import Mode, Settings
from steward.errors import ConfigError

DEFAULT_PUBLIC_URL = Settings.model_fields["public_url"].default


def secrets(probe: Probe) -> Finding:
    # The production gate itself, run as if in production: the same list, the same placeholders.
    settings = probe.runtime.settings.model_copy(update={"mode": Mode.PRODUCTION})
    try:
        settings.check_production()
    except ConfigError as exc:
        return Finding(
            False,
            f"Settings.check_production (as production): {exc.message}",
            "set the variable named above to a real secret in the deployment's env",
        )
    return Finding(True, "every required secret is set and none is a placeholder")


def mode(probe: Probe) -> Finding:
    current = probe.runtime.settings.mode
    if current is Mode.PRODUCTION:
        return Finding(True, "STEWARD_MODE=production")
    return Finding(False, f"STEWARD_MODE={current.value}", "set STEWARD_MODE=production")


def token_keys(probe: Probe) -> Finding:
    pairs = [k.strip() for k in probe.runtime.settings.tenant_token_keys.split(",") if k.strip()]
    kids = [p.partition(":")[0] for p in pairs]
    short = [kid for kid, p in zip(kids, pairs, strict=True) if len(p.partition(":")[2]) < 32]
    evidence = f"{len(pairs)} key(s), signing kid {kids[0] if kids else '-'!r}"
    if not pairs or len(set(kids)) != len(kids) or "" in kids:
        return Finding(
            False,
            evidence + "; kids missing or repeated",
            "STEWARD_TENANT_TOKEN_KEYS=kid:secret,... with unique kids",
        )
    if short:
        return Finding(
            False,
            evidence + f"; shorter than 32 characters: {', '.join(short)}",
            "use secrets of at least 32 random characters (openssl rand -hex 32)",
        )
    return Finding(True, evidence + "; every secret has 32+ characters")


def public_url(probe: Probe) -> Finding:
    url = probe.runtime.settings.public_url
    parsed = urlparse(url)
    if url == DEFAULT_PUBLIC_URL:
        return Finding(
            False,
            f"STEWARD_PUBLIC_URL is the default {url}",
            "set STEWARD_PUBLIC_URL to the https address customers and Stripe reach",
        )
    if parsed.scheme != "https" or parsed.hostname in ("127.0.0.1", "localhost"):
        return Finding(
            False,
            f"STEWARD_PUBLIC_URL={url} is not a public https address",
            "set STEWARD_PUBLIC_URL to the https address customers and Stripe reach",
        )
    return Finding(True, f"STEWARD_PUBLIC_URL={url}")


def stripe_key_mode(probe: Probe) -> Finding:
    key = probe.runtime.settings.stripe_api_key
    live = key.startswith(("sk_live_", "rk_live_"))
    test = key.startswith(("sk_test_", "rk_test_"))
    shown = f"{key[:8]}…" if key else "(empty)"
    production = probe.environment == "production"
    if (production and live) or (not production and test):
        return Finding(True, f"STEWARD_STRIPE_API_KEY is {shown} in {probe.environment}")
    want = "sk_live_" if production else "sk_test_"
    return Finding(
        False,
        f"STEWARD_STRIPE_API_KEY is {shown} in {probe.environment}",
        f"use a {want} key in {probe.environment}",
    )


PROD = ("production",)
CHECKS = (
    Check("config.secrets", "every secret set, none a placeholder", secrets, required_in=PROD),
    Check("config.mode", "production mode on", mode, required_in=PROD),
    Check("config.token_keys", "tenant token keys strong and unique", token_keys, required_in=PROD),
    Check(
        "config.public_url", "the public URL set (not the default)", public_url, required_in=PROD
    ),
    Check("stripe.key_mode", "Stripe live key in production, test key elsewhere", stripe_key_mode),
)
