"""Steward: the customer lifecycle of a small SaaS, run durably."""

from __future__ import annotations

__version__ = "0.1.0"
