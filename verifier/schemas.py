"""Request and response bodies of the verifier API (DESIGN §7)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LoginRequest", "LoginResponse", "MeResponse", "VerifyRequest"]


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str = Field(min_length=1, max_length=64)
    # An ELV1: payload with a portrait-free presentation stays well under this.
    qr: str = Field(min_length=1, max_length=16_000)


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class MeResponse(BaseModel):
    org_id: str
    name: dict[str, str]
    scenarios: list[dict[str, Any]]
    staff: str | None = None


class LoginResponse(MeResponse):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
