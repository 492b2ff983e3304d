"""Agency subscriptions to license events (issue 8) and the data-sharing list they are
checked against (``issuer/data/sharing.json``: per (source type, subscribing agency) the
claims it may receive, and claims it must never receive).

A subscription declares the claims its webhooks reveal; every one must be allowed for the
pair and none may be on the never-share list. An agency always may subscribe to its own
types (all their claims, minus any never-share rule under its own code). The filter field
must be one of the declared claims: an agency cannot filter on what it may not see.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session, col, select

from core.errors import ValidationFailed
from issuer.catalog import get_type
from issuer.events import KINDS
from issuer.events_errors import FieldsNotShared, SharingNotAllowed, SubscriptionNotFound
from issuer.events_models import Subscription

__all__ = ["SharingRule", "SubscriptionIn", "create", "delete", "list_for", "public_view",
           "sharing_rule"]


@dataclass(frozen=True)
class SharingRule:
    allowed: frozenset[str]
    never: frozenset[str]


@cache
def _rules() -> dict[tuple[str, str], SharingRule]:
    doc = json.loads((Path(__file__).resolve().parent / "data" / "sharing.json")
                     .read_text(encoding="utf-8"))
    return {(r["source_type"], r["agency"]): SharingRule(frozenset(r["allowed"]),
                                                          frozenset(r["never"]))
            for r in doc["rules"]}


def sharing_rule(type_: str, agency: str) -> SharingRule:
    lt = get_type(type_)
    rule = _rules().get((type_, agency))
    if lt.agency == agency:
        never = rule.never if rule else frozenset()
        return SharingRule(frozenset(lt.claims) - never, never)
    if rule is None:
        raise SharingNotAllowed(f"agency {agency!r} may not receive events on {type_!r}")
    return rule


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(max_length=40)
    events: list[str] = Field(min_length=1, max_length=len(KINDS))
    field: str | None = Field(default=None, max_length=64)
    contains: str | None = Field(default=None, min_length=1, max_length=200)
    fields: list[str] = Field(default_factory=list, max_length=64)
    url: str = Field(max_length=500)

    @field_validator("events")
    @classmethod
    def _kinds(cls, v: list[str]) -> list[str]:
        bad = [k for k in v if k not in KINDS]
        if bad:
            raise ValueError(f"unknown event kinds {bad}; known: {list(KINDS)}")
        return sorted(set(v))

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("https://", "http://")):
            raise ValueError("url must be http(s)")
        return v


def public_view(sub: Subscription) -> dict[str, Any]:
    return {"id": sub.id, "agency": sub.agency_code, "type": sub.type,
            "events": sub.kind_list(), "field": sub.field, "contains": sub.contains,
            "fields": sub.field_list(), "url": sub.url, "active": sub.active,
            "created_at": sub.created_at}


def create(*, session: Session, agency: str, req: SubscriptionIn, now: int,
           require_https: bool = True) -> dict[str, Any]:
    """``require_https``: outside dev mode webhooks carry claims, so TLS only."""
    if require_https and not req.url.startswith("https://"):
        raise ValidationFailed("the webhook url must be https", errors=[
            {"field": "url", "code": "https_required", "message": "use an https:// URL"}])
    rule = sharing_rule(req.type, agency)
    fields = sorted(set(req.fields))
    refused = [f for f in fields if f in rule.never or f not in rule.allowed]
    if refused:
        raise FieldsNotShared(f"agency {agency!r} may not receive {refused} of {req.type!r}",
                              fields=refused)
    if req.contains and not req.field:
        raise ValidationFailed("contains needs field", errors=[
            {"field": "contains", "code": "field_required", "message": "give field too"}])
    if req.field and req.field not in fields:
        raise ValidationFailed("the filter field must be one of fields", errors=[
            {"field": "field", "code": "field_not_declared",
             "message": "declare the filter field in fields"}])
    sub = Subscription(id=secrets.token_hex(16), agency_code=agency, type=req.type,
                       kinds=orjson.dumps(req.events).decode(), field=req.field,
                       contains=req.contains, fields=orjson.dumps(fields).decode(),
                       url=req.url, created_at=now)
    session.add(sub)
    session.commit()
    return public_view(sub)


def list_for(*, session: Session, agency: str) -> list[dict[str, Any]]:
    rows = session.exec(select(Subscription).where(Subscription.agency_code == agency)
                        .order_by(col(Subscription.created_at), col(Subscription.id))).all()
    return [public_view(s) for s in rows]


def delete(*, session: Session, agency: str, sub_id: str) -> None:
    """Deactivate (deliveries keep their foreign key; pending ones still go out)."""
    sub = session.get(Subscription, sub_id)
    if sub is None or sub.agency_code != agency:
        raise SubscriptionNotFound(f"no subscription {sub_id!r}")
    sub.active = False
    session.add(sub)
    session.commit()
