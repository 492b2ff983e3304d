"""The wallet's tables (prefix ``wallet_``): citizens, their sessions, their licenses and the
copies of each, one-time online QR tokens, and the citizen's presentation log.

- A *credential* is one license as the citizen sees it (type, issuer, validity); it holds a
  batch of *copies*: SD-JWTs with distinct salts and distinct holder keys (one fresh key per
  copy, kept through ``keys/``, owner ``wallet:<user_id>``). Each copy is used for one
  presentation only (docs/unlinkability.md).
- Secrets are stored hashed: password (argon2id), session tokens and QR tokens (SHA-256 of
  a ≥128-bit random value, so a fast hash is enough).
Times are epoch seconds (STYLE habit 8).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

__all__ = ["Copy", "Credential", "PresentationLog", "QrToken", "Session", "User"]


class User(SQLModel, table=True):
    __tablename__ = "wallet_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=200, repr=False)
    created_at: int


class Session(SQLModel, table=True):
    """A login: ``kind`` "api" (bearer token) or "page" (HttpOnly cookie)."""

    __tablename__ = "wallet_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="wallet_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True, repr=False)
    kind: str = Field(max_length=8)
    created_at: int
    expires_at: int


class Credential(SQLModel, table=True):
    __tablename__ = "wallet_credential"

    id: str = Field(primary_key=True, max_length=32)  # random, the public id
    user_id: int = Field(foreign_key="wallet_user.id", index=True)
    type: str = Field(max_length=64)
    vct: str = Field(max_length=500)
    issuer: str = Field(max_length=500)
    agency: str | None = Field(default=None, max_length=32)
    configuration_id: str = Field(max_length=200)
    issued_at: int
    expires_at: int | None = None
    # The processed claims of the first copy (for the citizen's own page), JSON.
    claims_json: str = Field(sa_type=Text, repr=False)
    # Names of the selectively disclosable claims the copies carry, JSON list.
    disclosable_json: str = Field(sa_type=Text)
    created_at: int

    def claims(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(self.claims_json)
        return out

    def disclosable(self) -> list[str]:
        out: list[str] = json.loads(self.disclosable_json)
        return out


class Copy(SQLModel, table=True):
    __tablename__ = "wallet_copy"
    __table_args__ = (Index("ix_wallet_copy_credential_used", "credential_id", "used_at"),)

    id: int | None = Field(default=None, primary_key=True)
    credential_id: str = Field(foreign_key="wallet_credential.id", max_length=32)
    sd_jwt: str = Field(sa_type=Text, repr=False)
    holder_kid: str = Field(max_length=64)
    status_uri: str | None = Field(default=None, max_length=500)
    status_idx: int | None = None
    created_at: int
    used_at: int | None = None


class QrToken(SQLModel, table=True):
    """An online ``ELR1:`` token: single use (``used_at``), valid until ``expires_at``. The
    copy is chosen when a verifier redeems it, so unredeemed QR refreshes spend no copy."""

    __tablename__ = "wallet_qr_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True, repr=False)
    user_id: int = Field(foreign_key="wallet_user.id")
    credential_id: str = Field(foreign_key="wallet_credential.id", max_length=32, index=True)
    scenario: str = Field(max_length=64)
    created_at: int
    expires_at: int
    used_at: int | None = None
    copy_id: int | None = Field(default=None, foreign_key="wallet_copy.id")
    verifier_client: str | None = Field(default=None, max_length=64)


class PresentationLog(SQLModel, table=True):
    """The citizen's access log: every presentation made (who, which scenario, when)."""

    __tablename__ = "wallet_presentation_log"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="wallet_user.id", index=True)
    credential_id: str = Field(foreign_key="wallet_credential.id", max_length=32)
    copy_id: int | None = Field(default=None, foreign_key="wallet_copy.id")
    scenario: str = Field(max_length=64)
    mode: str = Field(max_length=8)
    verifier_client: str | None = Field(default=None, max_length=64)
    aud: str = Field(max_length=500)
    at: int


# Consent and access-report tables live in their own module (issue 8); importing them here
# registers them wherever the wallet's models are loaded (alembic, the app).
from wallet.consent_models import AccessReport, ConsentRequest  # noqa: E402,F401
