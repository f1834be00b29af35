"""SMS for every domain: record a text in the caller's transaction, send it at most once through
Twilio, follow its delivery, honour STOP/START/HELP. Public API: ``steward.messaging.service``."""
