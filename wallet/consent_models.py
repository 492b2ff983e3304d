"""Tables of license-free submission (issue 8): an agency's request for a citizen's
licenses (the agency-side record of every share) and the citizen's reports of checks in
their access log they do not recognise. Times are epoch seconds."""

from __future__ import annotations

import json

from sqlalchemy import BigInteger, Text
from sqlmodel import Field, SQLModel

__all__ = ["AccessReport", "ConsentRequest"]


class ConsentRequest(SQLModel, table=True):
    """``pending`` → ``approved`` (``presentation`` holds the SD-JWT+KB for the agency) or
    ``refused``; ``expired`` when nobody answered in time."""

    __tablename__ = "wallet_consent_request"

    id: str = Field(primary_key=True, max_length=32)
    agency: str = Field(max_length=64, index=True)
    user_id: int = Field(foreign_key="wallet_user.id", index=True)
    purpose: str = Field(max_length=500)
    credential_type: str = Field(max_length=64)
    claims: str = Field(sa_type=Text)  # JSON list of requested claim names
    nonce: str = Field(max_length=64)
    aud: str = Field(max_length=500)
    state: str = Field(default="pending", max_length=16)
    credential_id: str | None = Field(default=None, max_length=32)
    presentation: str | None = Field(default=None, sa_type=Text, repr=False)
    log_id: int | None = Field(default=None, foreign_key="wallet_presentation_log.id")
    created_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(sa_type=BigInteger)
    decided_at: int | None = Field(default=None, sa_type=BigInteger)

    def claim_list(self) -> list[str]:
        out: list[str] = json.loads(self.claims)
        return out


class AccessReport(SQLModel, table=True):
    """A citizen flagged one access-log entry as not recognised; operators review them."""

    __tablename__ = "wallet_access_report"

    id: int | None = Field(default=None, primary_key=True)
    log_id: int = Field(foreign_key="wallet_presentation_log.id", unique=True)
    user_id: int = Field(foreign_key="wallet_user.id", index=True)
    note: str | None = Field(default=None, max_length=500)
    at: int = Field(sa_type=BigInteger)
