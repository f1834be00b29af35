"""Settings, read from ``STEWARD_*`` environment variables.

In production mode the server refuses to start with a missing or placeholder secret and names the
variable, so a forgotten secret is a start-up error rather than a silent hole.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from steward.errors import ConfigError

PLACEHOLDERS = {"", "changeme", "change-me", "secret", "placeholder", "todo", "xxx", "dev"}
DEV_ADMIN_TOKEN = "dev-admin-token"
DEV_WEBHOOK_SECRET = "whsec_steward_dev"
DEV_TENANT_KEY = "steward-dev-tenant-token-key-not-for-production"
# The Twilio sandbox's account (steward.providers.twilio.sandbox): development only.
DEV_TWILIO_ACCOUNT_SID = "AC" + "5a" * 16
DEV_TWILIO_AUTH_TOKEN = "sandbox" + "0" * 25
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


class Mode(StrEnum):
    DEVELOPMENT = "development"  # sandbox providers and dev secrets are allowed
    PRODUCTION = "production"  # every secret must be set to a real value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STEWARD_", extra="ignore")

    mode: Mode = Mode.DEVELOPMENT
    database_url: str = "sqlite:///steward.sqlite"
    product: str = "steward.demo.product:product"
    admin_token: str = DEV_ADMIN_TOKEN
    stripe_webhook_secrets: str = DEV_WEBHOOK_SECRET
    stripe_webhook_tolerance: int = 300
    stripe_api_key: str = "sk_test_sandbox"
    stripe_api_base: str = ""  # empty: the real Stripe API; a URL: that Stripe (e.g. the sandbox)
    sandbox: bool = True  # mount the provider sandboxes in this server (development only)
    public_url: str = DEFAULT_PUBLIC_URL
    smtp_url: str = ""  # empty: the sandbox mail sink on sandbox_smtp_port
    sandbox_smtp_port: int = 8025
    email_from: str = "Steward <no-reply@steward.local>"
    app_version: str = "0.1.0"
    executor_id: str = ""  # empty: a unique id per process
    max_attempts: int = Field(default=5, ge=1)
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    inbox_workers: int = Field(default=1, ge=0)
    inbox_poll_seconds: float = Field(default=0.5, gt=0)
    ready_max_backlog_age_seconds: float = Field(default=300.0, gt=0)
    auto_migrate: bool = True  # development: migrate on start; production: run 'steward migrate up'
    durable_engine: bool = True  # launch DBOS in this process
    run_workflows: bool = True  # run queued durable workflows in this process (false: web only)
    domain_queue_concurrency: int = Field(default=4, ge=1)  # domain-event workflows per process
    domain_queue_poll_seconds: float = Field(default=0.2, gt=0)
    executor_heartbeat_seconds: float = Field(default=5.0, gt=0)
    executor_stale_seconds: float = Field(default=30.0, gt=0)  # then another process takes over
    dbos_schema: str = "dbos"  # PostgreSQL schema of the durable engine's tables
    # How often DBOS's notification listener polls (a process's shutdown waits for one poll).
    dbos_notification_poll_seconds: float = Field(default=1.0, ge=0.001, le=60)
    # kid:secret pairs, comma-separated; the first signs, all verify
    stripe_sync_cron: str = "0 */10 * * * *"  # catch-up of missed Stripe events (6-field cron)
    grace_cron: str = "30 */10 * * * *"  # suspend tenants past due beyond the grace period
    drift_cron: str = "0 15 * * * *"  # re-fetch live subscriptions and correct drift
    tenant_token_keys: str = "dev:" + DEV_TENANT_KEY
    tenant_token_algorithm: str = "HS256"
    tenant_token_audience: str = "steward-tenant"
    tenant_token_ttl_seconds: int = Field(default=900, gt=0)
    log_level: str = "INFO"
    log_json: bool = True
    # wallets
    wallet_default_debt_limit: int = Field(default=500, ge=0)  # minor units a wallet may owe
    vapi_webhook_secret: str = "vapi_steward_dev_secret"  # HMAC-SHA256 key of /webhooks/vapi
    vapi_webhook_tolerance: int = 300
    vapi_api_key: str = "vapi_test_sandbox"
    vapi_api_base: str = ""  # empty: the mounted sandbox when STEWARD_SANDBOX is on
    reconcile_cron: str = "0 0 3 * * *"  # daily reconciliation of yesterday's calls (UTC)
    reconcile_page_size: int = Field(default=500, ge=1, le=1000)
    recharge_max_per_day: int = Field(default=3, ge=0)
    recharge_max_per_month: int = Field(default=20, ge=0)
    recharge_backoff_seconds: float = Field(default=3600.0, ge=0)  # doubled per decline
    billing_success_rate_min: float = Field(default=0.9, ge=0, le=1)  # alert below this
    billing_monitor_cron: str = "0 */5 * * * *"
    # provisioning
    provisioning_dry_run: bool = False  # record what each step would do; call nothing outside
    provisioning_concurrency: int = Field(default=64, ge=1)  # queued runs at once per process
    provisioning_switch_poll_seconds: float = Field(default=5.0, gt=0)  # kill switch off: recheck
    provisioning_wait_recheck_seconds: float = Field(default=30.0, gt=0)  # waiting: recheck
    pool_low_watermark: int = Field(default=5, ge=0)  # default for new pools
    webhook_check_timeout: float = Field(default=5.0, gt=0)  # per request of the cascade
    webhook_check_allow_private: bool = False  # allow loopback/private targets (tests, dev)
    panel_api_base: str = ""  # game panel API; empty: the mounted sandbox (STEWARD_SANDBOX)
    panel_api_key: str = "panel_test_sandbox"
    panel_webhook_secret: str = "panel_steward_dev_secret"  # HMAC-SHA256 of /webhooks/panel
    sandbox_panel_delay_seconds: float = Field(default=3.0, ge=0)  # sandbox install time
    # alerts and cockpit
    alert_urls: str = ""  # apprise URLs, comma or space separated (Slack, Discord, mailto, SMS...)
    alert_sweep_cron: str = "0 * * * * *"  # the alert rule sweep (6-field cron): every minute
    alert_delivery_attempts: int = Field(default=5, ge=1)  # per channel and notification
    alert_delivery_backoff_seconds: float = Field(default=5.0, ge=0)  # doubled per attempt
    operator_session_seconds: int = Field(default=8 * 3600, gt=0)  # cockpit login lifetime
    # Twilio and messaging
    twilio_account_sid: str = DEV_TWILIO_ACCOUNT_SID
    twilio_auth_token: str = DEV_TWILIO_AUTH_TOKEN  # signs Twilio's webhooks: a real one in prod
    twilio_api_base: str = ""  # empty: the real Twilio, or the mounted sandbox (STEWARD_SANDBOX)
    twilio_from_number: str = ""  # the product's sending number (E.164); empty: sending refused
    # Client addresses (comma-separated, or "*") whose X-Forwarded-Proto/Host are believed when
    # rebuilding the URL Twilio signed; used only while public_url is left at its default.
    trusted_proxies: str = ""
    # Buying numbers for pools that fall below their watermark (opt-in; kill switch
    # number_purchases): which pools hold Twilio numbers, and how many may be bought a day.
    pool_purchases: bool = False
    pool_purchase_pools: str = "numbers"  # comma-separated pool names
    pool_purchase_max_per_day: int = Field(default=5, ge=0)  # per pool, UTC day
    # Whop and recovery
    whop_webhook_secret: str = "whsec_whop_steward_dev"  # comma-separated: all verify (rotation)
    whop_api_key: str = "apik_whop_sandbox"
    whop_api_base: str = ""  # empty: real Whop; <public_url>/sandbox/whop/api/v1 when sandbox on
    whop_app_id: str = "app_steward_dev"  # the audience of x-whop-user-token
    whop_jwks_url: str = ""  # empty: Whop's published keys; the sandbox's when sandbox on
    recovery_tick_cron: str = "0 * * * * *"  # claim and send due reminders (6-field cron)
    recovery_company_budget_seconds: float = Field(default=10.0, gt=0)  # per company per tick
    recovery_breaker_failures: int = Field(default=3, ge=1)  # provider failures that open it
    recovery_breaker_cooldown_seconds: float = Field(default=600.0, gt=0)  # then half-open
    recovery_claim_stale_seconds: float = Field(default=300.0, gt=0)  # a claimed send, re-tried

    # Signup and customer sign-in
    signup_token_ttl_seconds: int = Field(default=900, gt=0, le=3600)  # a wizard step's token
    signup_token_audience: str = "signup"  # never the tenant API's audience
    magic_link_ttl_seconds: int = Field(default=900, gt=0, le=86400)  # sign-in/verify links
    customer_session_seconds: int = Field(default=7 * 86400, gt=0)  # customer cookie lifetime
    signup_rate_limit: int = Field(default=10, ge=1)  # signup starts per address per window
    signin_rate_limit: int = Field(default=10, ge=1)  # sign-in link requests per address
    rate_limit_window_seconds: int = Field(default=3600, gt=0)
    cors_origins: str = ""  # comma-separated origins allowed on /public and /api/v1; none if empty

    @cached_property
    def cors_allowlist(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @cached_property
    def whop_webhook_secrets(self) -> list[str]:
        return [s.strip() for s in self.whop_webhook_secret.split(",") if s.strip()]

    @cached_property
    def webhook_secrets(self) -> list[str]:
        return [s.strip() for s in self.stripe_webhook_secrets.split(",") if s.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_production(self) -> None:
        """Raise ConfigError naming the first variable that is missing or a placeholder."""
        if self.mode is not Mode.PRODUCTION:
            return
        checks = {
            "STEWARD_ADMIN_TOKEN": [self.admin_token],
            "STEWARD_STRIPE_WEBHOOK_SECRETS": self.webhook_secrets or [""],
            "STEWARD_STRIPE_API_KEY": [self.stripe_api_key],
            # Their webhooks are always mounted: a well-known secret would let anyone forge them.
            "STEWARD_VAPI_WEBHOOK_SECRET": [self.vapi_webhook_secret],
            "STEWARD_PANEL_WEBHOOK_SECRET": [self.panel_webhook_secret],
            "STEWARD_TENANT_TOKEN_KEYS": [
                k.partition(":")[2] for k in self.tenant_token_keys.split(",")
            ],
            # The sandbox's account: its well-known token would let anyone sign Twilio webhooks.
            "STEWARD_TWILIO_ACCOUNT_SID": [self.twilio_account_sid],
            "STEWARD_TWILIO_AUTH_TOKEN": [self.twilio_auth_token],
            "STEWARD_WHOP_WEBHOOK_SECRET": self.whop_webhook_secrets or [""],
            "STEWARD_WHOP_API_KEY": [self.whop_api_key],
        }
        for variable, values in checks.items():
            for value in values:
                if _is_placeholder(value):
                    raise ConfigError(
                        f"{variable} is missing or a placeholder; set a real secret to run in "
                        "production mode"
                    )
        if len(self.admin_token) < 32:
            raise ConfigError(
                "STEWARD_ADMIN_TOKEN must be at least 32 characters in production mode"
            )
        if self.sandbox:
            raise ConfigError("STEWARD_SANDBOX must be false in production mode")


def _is_placeholder(value: str) -> bool:
    v = value.strip().lower()
    return (
        v in PLACEHOLDERS
        or v
        in {
            DEV_ADMIN_TOKEN,
            DEV_WEBHOOK_SECRET,
            "sk_test_sandbox",
            "steward-dev-tenant-token-key-not-for-production",
            "vapi_steward_dev_secret",
            "panel_steward_dev_secret",
            DEV_TWILIO_ACCOUNT_SID.lower(),
            DEV_TWILIO_AUTH_TOKEN,
            "whsec_whop_steward_dev",
            "apik_whop_sandbox",
        }
        or v.endswith("_placeholder")
        or len(v) < 12
    )
