"""Onboarding conversations, their answers and signals (facts), transitions and turns.

A conversation's ``state`` is one of its flow's declared states (steward.flows); its ``status``
says whether it is still onboarding. See docs/howto/onboarding.md for the diagram.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class ConversationStatus(StrEnum):
    ONBOARDING = "onboarding"  # moving through the flow's states
    LIVE = "live"  # reached the final state: the tenant's service is on


class FactKind(StrEnum):
    ANSWER = "answer"  # what the customer said, validated and normalized
    SIGNAL = "signal"  # what another system saw (paid, number assigned, test call)


def _enum(enum: type[StrEnum]) -> sa.Enum:
    return sa.Enum(
        enum, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


class Conversation(Base):
    __tablename__ = "onboarding_conversations"
    __table_args__ = (
        sa.UniqueConstraint("flow", "address", name="uq_onboarding_flow_address"),
        sa.UniqueConstraint("tenant_id", name="uq_onboarding_tenant"),
        sa.Index("ix_onboarding_status_state_clock", "status", "state", "clock_at"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(16))  # "sms", "web"
    address: Mapped[str] = mapped_column(sa.String(320))  # E.164 for sms
    status: Mapped[ConversationStatus] = mapped_column(_enum(ConversationStatus))
    state: Mapped[str] = mapped_column(sa.String(64))
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    clock_at: Mapped[datetime] = mapped_column(UTCDateTime())  # dwell counts from here (resets)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    live_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Fact(Base):
    __tablename__ = "onboarding_facts"
    __table_args__ = (sa.UniqueConstraint("conversation_id", "kind", "name"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("onboarding_conversations.id", ondelete="CASCADE")
    )
    kind: Mapped[FactKind] = mapped_column(_enum(FactKind))
    name: Mapped[str] = mapped_column(sa.String(64))
    value: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Transition(Base):
    """Every state change and its cause; append-only."""

    __tablename__ = "onboarding_transitions"
    __table_args__ = (sa.Index("ix_onboarding_transitions_conv", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("onboarding_conversations.id", ondelete="CASCADE")
    )
    from_state: Mapped[str | None] = mapped_column(sa.String(64))
    to_state: Mapped[str] = mapped_column(sa.String(64))
    cause: Mapped[str] = mapped_column(sa.String(200))  # "sms:SM…", "event:12", "operator:…"
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Turn(Base):
    """One message of the conversation, either way; append-only."""

    __tablename__ = "onboarding_turns"
    __table_args__ = (sa.Index("ix_onboarding_turns_conv", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("onboarding_conversations.id", ondelete="CASCADE")
    )
    direction: Mapped[str] = mapped_column(sa.String(8))  # "in" or "out"
    body: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(64))  # the state it was said in
    at: Mapped[datetime] = mapped_column(UTCDateTime())


TABLES = ("onboarding_turns", "onboarding_transitions", "onboarding_facts",
          "onboarding_conversations")  # fmt: skip
