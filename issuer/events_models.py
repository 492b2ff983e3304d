"""Tables of license events (issue 8): agency subscriptions, the events themselves (no
personal data) and one delivery per (event, subscription) — the outbox the webhook worker
(``issuer.events_delivery``) drains. The delivery body holds the claims the subscriber is
entitled to, so it is sealed like every other claim at rest (``issuer.sealing``).
Times are epoch seconds."""

from __future__ import annotations

import json

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = ["Delivery", "Event", "Subscription"]


class Subscription(SQLModel, table=True):
    """An agency's standing order: events of ``kinds`` on credentials of ``type``, optionally
    only when ``field`` (changed, for ``changed``) contains ``contains``; the webhook body
    reveals exactly ``fields`` (checked against the data-sharing list at creation)."""

    __tablename__ = "issuer_subscription"

    id: str = Field(primary_key=True, max_length=32)
    agency_code: str = Field(foreign_key="issuer_agency.code", index=True, max_length=16)
    type: str = Field(max_length=40, index=True)
    kinds: str = Field(sa_type=Text)  # JSON list
    field: str | None = Field(default=None, max_length=64)
    contains: str | None = Field(default=None, max_length=200)
    fields: str = Field(default="[]", sa_type=Text)  # JSON list of revealed claims
    url: str = Field(max_length=500)
    active: bool = True
    created_at: int = Field(sa_type=BigInteger)

    def kind_list(self) -> list[str]:
        out: list[str] = json.loads(self.kinds)
        return out

    def field_list(self) -> list[str]:
        out: list[str] = json.loads(self.fields)
        return out


class Event(SQLModel, table=True):
    """Something that happened to a credential. ``changed`` lists claim names (no values).
    (credential_id, kind, dedupe) is unique so a periodic scan emits ``expiring`` once."""

    __tablename__ = "issuer_event"
    __table_args__ = (UniqueConstraint("credential_id", "kind", "dedupe",
                                       name="uq_issuer_event_dedupe"),)

    id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=16)
    type: str = Field(max_length=40)
    agency_code: str = Field(max_length=16)
    credential_id: str = Field(max_length=32, index=True)
    replaces: str | None = Field(default=None, max_length=32)
    changed: str = Field(default="[]", sa_type=Text)
    dedupe: str = Field(max_length=32)  # the event id, or the credential exp for expiring
    at: int = Field(sa_type=BigInteger)


class Delivery(SQLModel, table=True):
    """One webhook to send: ``pending`` → ``delivered``, or ``dead`` after the last retry."""

    __tablename__ = "issuer_event_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id", name="uq_issuer_delivery"),
        Index("ix_issuer_delivery_due", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(foreign_key="issuer_event.id", max_length=32)
    subscription_id: str = Field(foreign_key="issuer_subscription.id", max_length=32)
    body_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    state: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: int = Field(sa_type=BigInteger)
    last_error: str | None = Field(default=None, max_length=200)
    delivered_at: int | None = Field(default=None, sa_type=BigInteger)
    created_at: int = Field(sa_type=BigInteger)
