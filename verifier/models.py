"""Verifier tables (DESIGN §5–§6): organisations, their API keys / staff sessions (hashed at
rest), staff logins, the shared replay store, verification records and installed trust lists.

Times are epoch seconds (STYLE habit 8). Secrets are never stored: API keys and session
tokens as SHA-256 (they are ≥128-bit random or operator-chosen, looked up by hash on every
request), staff passwords as argon2id.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import CheckConstraint, Text
from sqlmodel import Field, SQLModel

__all__ = [
    "VerifierOrg",
    "VerifierRecord",
    "VerifierReplay",
    "VerifierStaff",
    "VerifierToken",
    "VerifierTrustList",
]


class VerifierOrg(SQLModel, table=True):
    __tablename__ = "verifier_org"

    id: str = Field(primary_key=True, max_length=64)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    # JSON list of scenario ids this organisation is registered for.
    scenarios: str = Field(sa_type=Text)
    created_at: int

    def scenario_ids(self) -> frozenset[str]:
        return frozenset(json.loads(self.scenarios))


class VerifierToken(SQLModel, table=True):
    """A bearer credential of an organisation: an API key or a staff session token."""

    __tablename__ = "verifier_token"
    __table_args__ = (
        CheckConstraint("kind IN ('api_key', 'session')", name="ck_verifier_token_kind"),
    )

    token_hash: str = Field(primary_key=True, max_length=64)
    org_id: str = Field(foreign_key="verifier_org.id", index=True, max_length=64)
    kind: str = Field(max_length=16)
    label: str = Field(default="", max_length=200)
    staff_username: str | None = Field(default=None, max_length=100)
    created_at: int
    expires_at: int | None = None


class VerifierStaff(SQLModel, table=True):
    __tablename__ = "verifier_staff"

    username: str = Field(primary_key=True, max_length=100)
    org_id: str = Field(foreign_key="verifier_org.id", index=True, max_length=64)
    password_hash: str = Field(max_length=200, repr=False)
    created_at: int


class VerifierReplay(SQLModel, table=True):
    """Replay store: one row per accepted presentation; the unique constraints do the work
    across worker processes and verifier instances (DESIGN §8)."""

    __tablename__ = "verifier_replay"

    digest: str = Field(primary_key=True, max_length=64)
    nonce_key: str = Field(unique=True, max_length=64)
    expires_at: int = Field(index=True)


class VerifierRecord(SQLModel, table=True):
    """What the scenario's policy says to keep, for its retention period; nothing more."""

    __tablename__ = "verifier_record"

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(index=True, max_length=64)
    scenario: str = Field(max_length=64)
    scenario_version: int
    credential_type: str | None = Field(default=None, max_length=64)
    issuer: str | None = Field(default=None, max_length=500)
    valid: bool
    # JSON list of the failing check codes (empty when valid).
    codes: str = Field(sa_type=Text)
    verified_at: int
    expires_at: int = Field(index=True)
    # JSON object of the claims the policy's ``record.keeps`` lists (hotel: lodging
    # registration); NULL for every other scenario.
    kept_claims: str | None = Field(default=None, sa_type=Text)

    def kept(self) -> dict[str, Any] | None:
        return None if self.kept_claims is None else json.loads(self.kept_claims)


class VerifierTrustList(SQLModel, table=True):
    """Signed trust lists installed locally (``elicense trust sign --install``, dev bootstrap);
    the newest one is the source when no ``trust_list_url`` is configured."""

    __tablename__ = "verifier_trust_list"

    id: int | None = Field(default=None, primary_key=True)
    jws: str = Field(sa_type=Text)
    iat: int
    exp: int
    installed_at: int = Field(index=True)


from verifier.oid4vp_models import VerifierPresentationRequest  # noqa: E402,F401
