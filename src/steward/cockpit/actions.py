"""Operator actions that wrap other domains' services with an audit entry."""

from __future__ import annotations

from steward.bootstrap import Steward
from steward.inbox.models import InboundEvent


def replay_event(steward: Steward, event_id: int, actor: str) -> InboundEvent:
    """The inbox's replay, audited in the same transaction."""
    return steward.inbox.replay(event_id, actor)
