"""Real SMTP from the mailer to the sandbox sink; a re-sent Message-ID is one message."""

from __future__ import annotations

import pytest

from steward.errors import ConfigError, ProviderError
from steward.providers.email import EmailMessage, MailSink, SmtpMailer
from tests.support import free_port


def test_mail_reaches_the_sink_once_per_idempotency_key() -> None:
    sink = MailSink(port=free_port())
    sink.start()
    try:
        mailer = SmtpMailer(sink.url, "Steward <no-reply@example.com>")
        msg = EmailMessage(to="owner@example.com", subject="Your trial ends in 3 days", text="Hi")
        first = mailer.send(msg, "trial-notice:ten_1:1")
        assert mailer.send(msg, "trial-notice:ten_1:1") == first
        mailer.send(EmailMessage(to="b@example.com", subject="Other", text="x"), "k2")
        got = sink.to("owner@example.com")
        assert len(got) == 1 and got[0].deliveries == 2
        assert got[0].subject == "Your trial ends in 3 days" and got[0].text.strip() == "Hi"
        assert len(sink.messages) == 2
    finally:
        sink.stop()


def test_mailer_errors_are_clear() -> None:
    with pytest.raises(ConfigError, match="STEWARD_SMTP_URL"):
        SmtpMailer("http://nope", "a@b.c")
    mailer = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", "a@b.c", timeout=2)
    with pytest.raises(ProviderError, match="smtp: cannot send"):
        mailer.send(EmailMessage(to="x@y.z", subject="s", text="t"), "k")
