"""Email: real SMTP out, and a local SMTP sink (the sandbox) that keeps what it receives."""

from steward.providers.email.mailer import EmailMessage, SmtpMailer
from steward.providers.email.sink import MailSink

__all__ = ["EmailMessage", "MailSink", "SmtpMailer"]
