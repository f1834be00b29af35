"""The founder's SMS alert channel (``steward-sms://+E164``) goes through the messaging service,
both DBs, the Twilio sandbox as the peer: an alert fired by a domain event is texted once and
followed to delivered; ``steward alerts test`` proves the channel from the command line."""

from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa

from tests.e2e.messaging_helpers import (
    api_sends,
    clean_faults,
    message,
    messages,
    server,
    status_of,
    twilio,
    wait,
)
from tests.support import ROOT, Server

__all__ = ["clean_faults", "server"]
FOUNDER = "+14155550150"
SERVER_SETTINGS = {"alert_urls": f"steward-sms://{FOUNDER}", "alert_delivery_backoff_seconds": 0.2}


def alert_texts(server: Server) -> list[dict[str, object]]:
    return [m for m in messages(server, FOUNDER) if m["purpose"] == "alert"]


def test_an_alert_is_texted_to_the_founder_once_and_tracked(server: Server) -> None:
    before = len(alert_texts(server))
    with server.runtime.db.transaction() as session:
        server.runtime.bus.publish(
            session, "pool.low",
            data={"pool": "numbers", "free": 1, "total": 10, "low_watermark": 5,
                  "reason": "pool numbers has 1 free, below 5"},
        )  # fmt: skip
    wait(lambda: len(alert_texts(server)) == before + 1, 30)
    text_id = str(alert_texts(server)[0]["id"])
    wait(lambda: status_of(server, text_id) == "delivered")
    text = message(server, text_id)
    sent = [m for m in api_sends(server, FOUNDER) if m["sid"] == text["twilio_sid"]]
    assert len(sent) == 1 and sent[0]["body"].startswith("[CRITICAL] Pool under its watermark")
    with server.runtime.db.read() as s:
        rows = s.execute(
            sa.text("SELECT channel, ok FROM alert_deliveries WHERE channel LIKE 'steward-sms%'")
        ).all()
    assert [(c, bool(ok)) for c, ok in rows] == [("steward-sms://***150", True)]


def test_alerts_test_command_texts_through_the_sandbox(server: Server) -> None:
    settings = server.settings
    env = os.environ | {
        "STEWARD_DATABASE_URL": settings.database_url,
        "STEWARD_DBOS_SCHEMA": settings.dbos_schema,
        "STEWARD_PUBLIC_URL": settings.public_url,
        "STEWARD_TWILIO_FROM_NUMBER": settings.twilio_from_number,
        "STEWARD_ALERT_URLS": settings.alert_urls,
        "STEWARD_LOG_LEVEL": "WARNING",
    }
    before = len(api_sends(server, FOUNDER))
    r = subprocess.run(
        [sys.executable, "-m", "steward", "alerts", "test"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert "steward-sms://***150: ok" in r.stdout
    sends = api_sends(server, FOUNDER)
    assert len(sends) == before + 1 and "Steward test alert" in sends[-1]["body"]
    twilio(server).wait_idle()
    test_text = next(m for m in alert_texts(server) if m["twilio_sid"] == sends[-1]["sid"])
    wait(lambda: status_of(server, str(test_text["id"])) == "delivered")
