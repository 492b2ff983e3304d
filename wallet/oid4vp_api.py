"""Citizen routes of the OpenID4VP 1.0 flow (``wallet.oid4vp``; docs/interop.md §6), with the
bearer token or the page cookie + ``X-CSRF-Token``:

    POST /v1/oid4vp/resolve   {"uri": "openid4vp://…"} → who asks, why, which claims, which
                              of the citizen's licenses can answer
    POST /v1/oid4vp/respond   {"request_id", "credential_id", "consent": true|false}
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from wallet import oid4vp
from wallet.deps import CitizenDep, ClockDep, DbDep, SettingsDep, UpstreamDep

__all__ = ["router"]

router = APIRouter(prefix="/v1/oid4vp", tags=["oid4vp"])


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uri: str = Field(min_length=1, max_length=4096)


class RespondIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1, max_length=4096)
    credential_id: str | None = Field(default=None, max_length=64)
    consent: bool


@router.post("/resolve")
def resolve(body: ResolveIn, user: CitizenDep, db: DbDep, upstream: UpstreamDep,
            settings: SettingsDep, clock: ClockDep) -> dict[str, Any]:
    return oid4vp.resolve(db=db, upstream=upstream, settings=settings, now=clock.now(),
                          user=user, uri=body.uri)


@router.post("/respond")
def respond(body: RespondIn, user: CitizenDep, db: DbDep, upstream: UpstreamDep,
            settings: SettingsDep, clock: ClockDep) -> dict[str, Any]:
    return oid4vp.respond(db=db, upstream=upstream, settings=settings, now=clock.now(),
                          user=user, request_id=body.request_id,
                          credential_id=body.credential_id, consent=body.consent)
