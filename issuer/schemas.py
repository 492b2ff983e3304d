"""Request and response bodies of the issuer API (pydantic; FastAPI renders their errors as
problem+json ``validation_failed``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "BatchLine",
    "CredentialPublic",
    "Holder",
    "IssueRequest",
    "ReissueRequest",
    "StatusChange",
    "StatusRef",
]


class Holder(BaseModel):
    """Exactly one of: the holder's public ``jwk`` (credential returned at once) or
    ``offer: true`` (an OpenID4VCI credential offer for the citizen's wallet)."""

    model_config = ConfigDict(extra="forbid")

    jwk: dict[str, Any] | None = None
    offer: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> Holder:
        if (self.jwk is None) == (not self.offer):
            raise ValueError("give exactly one of holder.jwk or holder.offer=true")
        return self


class IssueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(max_length=64)
    claims: dict[str, Any]
    holder: Holder
    # Credential expiry (``exp``, epoch seconds); default: the type's validity from now.
    valid_until: int | None = None


class BatchLine(BaseModel):
    """One NDJSON line of a bulk import: a caller ``ref`` (unique per agency) and a holder
    key (bulk issuance does not make offers)."""

    model_config = ConfigDict(extra="forbid")

    ref: str = Field(min_length=1, max_length=128)
    type: str = Field(max_length=64)
    claims: dict[str, Any]
    holder: Holder
    valid_until: int | None = None


class ReissueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    holder: Holder
    # Changed claims (e.g. a new address); the rest is carried over from the old credential.
    claims: dict[str, Any] = Field(default_factory=dict)
    valid_until: int | None = None


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=200)


class StatusRef(BaseModel):
    idx: int
    uri: str


class CredentialPublic(BaseModel):
    """What an agency sees of its own credentials: no claims."""

    id: str
    type: str
    agency: str
    state: Literal["valid", "suspended", "revoked"]
    status: StatusRef
    delivery: str
    ref: str | None
    holder_jkt: str | None
    iat: int
    exp: int
    replaces: str | None
