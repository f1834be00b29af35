"""Operator alerts: rules declared in code, one open alert per (rule, resource), delivery through
apprise channels with a delivery log."""
