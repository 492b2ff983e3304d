"""Routes of license-free submission and the access log (issue 8), thin over
``wallet.consent`` / ``wallet.access_log``.

Agencies (``Authorization: Bearer <agency wallet secret>``):
  ``POST /v1/consent-requests`` · ``GET /v1/consent-requests/{id}`` ·
  ``GET /v1/agency/consent-requests`` (its record of every request and answer)
Citizens (bearer token, or the page cookie + ``X-CSRF-Token``):
  ``GET /v1/consent-requests`` · ``POST /v1/consent-requests/{id}/approve|refuse`` ·
  ``GET /v1/access-log`` · ``POST /v1/access-log/{id}/report``
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from wallet import access_log, consent
from wallet.deps import CitizenDep, ClockDep, DbDep, SettingsDep, UpstreamDep, bearer_of

__all__ = ["ConsentRequestIn", "router"]

router = APIRouter(prefix="/v1", tags=["consent"])


def _agency(request: Request, settings: SettingsDep) -> str:
    return consent.authenticate_agency(settings, bearer_of(request))


AgencyDep = Annotated[str, Depends(_agency)]


class ConsentRequestIn(BaseModel):
    """Addressed to a citizen by wallet ``username`` or identity ``document_number``."""

    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(default=None, max_length=64)
    document_number: str | None = Field(default=None, max_length=64)
    purpose: str = Field(min_length=1, max_length=500)
    credential_type: str = Field(min_length=1, max_length=64)
    claims: list[str] = Field(min_length=1, max_length=50)
    nonce: str | None = Field(default=None, min_length=16, max_length=64)

    @model_validator(mode="after")
    def _one_address(self) -> ConsentRequestIn:
        if (self.username is None) == (self.document_number is None):
            raise ValueError("give exactly one of username or document_number")
        return self


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credential_id: str | None = Field(default=None, max_length=32)


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=500)


@router.post("/consent-requests", status_code=201)
def create_request(body: ConsentRequestIn, agency: AgencyDep, db: DbDep,
                   settings: SettingsDep, clock: ClockDep) -> dict[str, Any]:
    return consent.create(db=db, settings=settings, agency=agency, now=clock.now(),
                          purpose=body.purpose, credential_type=body.credential_type,
                          claims=body.claims, username=body.username,
                          document_number=body.document_number, nonce=body.nonce)


@router.get("/agency/consent-requests")
def agency_records(agency: AgencyDep, db: DbDep, clock: ClockDep) -> dict[str, Any]:
    """The calling agency's requests and their answers (its record of every share)."""
    return {"requests": consent.agency_records(db=db, agency=agency, now=clock.now())}


@router.get("/consent-requests")
def my_requests(user: CitizenDep, db: DbDep, clock: ClockDep) -> dict[str, Any]:
    return {"requests": consent.for_citizen(db=db, user=user, now=clock.now())}


@router.get("/consent-requests/{request_id}")
def agency_view(request_id: str, agency: AgencyDep, db: DbDep, clock: ClockDep
                ) -> dict[str, Any]:
    return consent.for_agency(db=db, agency=agency, request_id=request_id, now=clock.now())


@router.post("/consent-requests/{request_id}/approve")
def approve(request_id: str, user: CitizenDep, db: DbDep, settings: SettingsDep,
            clock: ClockDep, upstream: UpstreamDep, body: ApproveIn | None = None
            ) -> dict[str, Any]:
    return consent.approve(db=db, upstream=upstream, settings=settings, user=user,
                           request_id=request_id, now=clock.now(),
                           credential_id=body.credential_id if body else None)


@router.post("/consent-requests/{request_id}/refuse")
def refuse(request_id: str, user: CitizenDep, db: DbDep, clock: ClockDep) -> dict[str, Any]:
    return consent.refuse(db=db, user=user, request_id=request_id, now=clock.now())


@router.get("/access-log")
def my_access_log(user: CitizenDep, db: DbDep) -> dict[str, Any]:
    return {"entries": access_log.entries(db=db, user=user)}


@router.post("/access-log/{log_id}/report", status_code=201)
def report(log_id: int, user: CitizenDep, db: DbDep, clock: ClockDep,
           body: ReportIn | None = None) -> dict[str, Any]:
    return access_log.report(db=db, user=user, log_id=log_id, now=clock.now(),
                             note=body.note if body else None)
