"""Issuer tables (prefix ``issuer_``). Times are epoch seconds in BIGINT columns (no tz, no
2038). Personal data is kept out of plain columns: the claims needed for reissue are
AES-GCM encrypted (``issuer.sealing``) and the searchable document number is a keyed HMAC
(a blind index), so neither the database nor the audit log holds a citizen's data in clear.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "Agency",
    "AuditEvent",
    "Client",
    "Credential",
    "IdempotencyRecord",
    "Nonce",
    "Offer",
    "StatusListShard",
    "Token",
]


class Agency(SQLModel, table=True):
    __tablename__ = "issuer_agency"

    code: str = Field(primary_key=True, max_length=16)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    created_at: int = Field(sa_type=BigInteger)


class Client(SQLModel, table=True):
    """An agency's API client (OAuth2 client credentials); the secret is argon2id-hashed."""

    __tablename__ = "issuer_client"

    client_id: str = Field(primary_key=True, max_length=64)
    agency_code: str = Field(foreign_key="issuer_agency.code", index=True, max_length=16)
    secret_hash: str = Field(max_length=200)
    created_at: int = Field(sa_type=BigInteger)
    disabled: bool = False


class Token(SQLModel, table=True):
    """Bearer tokens we hand out, stored as SHA-256 of the 256-bit random value.

    ``kind``: ``access`` (agency API), ``session`` (agency web page), ``oid4vci`` (a wallet
    picking up one offered credential, ``credential_id``)."""

    __tablename__ = "issuer_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    client_id: str | None = Field(default=None, max_length=64)
    agency_code: str | None = Field(default=None, max_length=16)
    scope: str = Field(default="", sa_type=Text)
    credential_id: str | None = Field(default=None, max_length=32)
    exp: int = Field(sa_type=BigInteger, index=True)
    used: bool = False


class StatusListShard(SQLModel, table=True):
    """One Token Status List (draft-ietf-oauth-status-list-20 §4). ``changes`` counts status
    changes; ``token`` was built at ``token_changes``: they differ while a change is not yet
    published (regeneration is coalesced, see ``issuer.statuslists``)."""

    __tablename__ = "issuer_status_list"

    id: int | None = Field(default=None, primary_key=True)
    bits: int
    size: int
    used: int = 0
    changes: int = 0
    token_changes: int = -1
    token: str | None = Field(default=None, sa_type=Text)
    token_iat: int = Field(default=0, sa_type=BigInteger)
    token_exp: int = Field(default=0, sa_type=BigInteger)
    etag: str | None = Field(default=None, max_length=64)
    created_at: int = Field(sa_type=BigInteger)


class Credential(SQLModel, table=True):
    __tablename__ = "issuer_credential"
    __table_args__ = (
        UniqueConstraint("status_list_id", "status_idx", name="uq_issuer_credential_status"),
        UniqueConstraint("agency_code", "ref", name="uq_issuer_credential_ref"),
        # an agency's listing filters on its types; one index serves both columns
        Index("ix_issuer_credential_agency_type", "agency_code", "type"),
    )

    id: str = Field(primary_key=True, max_length=32)
    agency_code: str = Field(foreign_key="issuer_agency.code", max_length=16)
    type: str = Field(max_length=40)
    # valid | suspended | revoked (the status list value is derived from it)
    state: str = Field(default="valid", max_length=16)
    status_list_id: int = Field(foreign_key="issuer_status_list.id")
    status_idx: int
    # Caller's reference for bulk import (dedupe on re-run), unique per agency.
    ref: str | None = Field(default=None, max_length=128)
    # Blind index of the document number (HMAC-SHA256), for exact-match search.
    subject_hmac: str | None = Field(default=None, max_length=64, index=True)
    holder_jkt: str | None = Field(default=None, max_length=64)
    iat: int = Field(sa_type=BigInteger)
    exp: int = Field(sa_type=BigInteger)
    # pending_pickup (OpenID4VCI offer not yet redeemed) | delivered
    delivery: str = Field(default="delivered", max_length=16)
    claims_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    replaces: str | None = Field(default=None, max_length=32)
    updated_at: int = Field(sa_type=BigInteger)


class CredentialCopy(SQLModel, table=True):
    """A further copy of a credential picked up in one OpenID4VCI batch (``proofs``), with a
    status index of its own, so that two verifiers shown two copies cannot link them by
    ``status.status_list.idx``. Its status value follows the credential's ``state``."""

    __tablename__ = "issuer_credential_copy"
    __table_args__ = (
        UniqueConstraint("status_list_id", "status_idx", name="uq_issuer_copy_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    credential_id: str = Field(foreign_key="issuer_credential.id", index=True, max_length=32)
    status_list_id: int = Field(foreign_key="issuer_status_list.id")
    status_idx: int


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "issuer_idempotency"

    agency_code: str = Field(primary_key=True, max_length=16)
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(max_length=64)
    # The response body, sealed (it holds the credential and so personal data).
    response_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: int = Field(sa_type=BigInteger)


class Offer(SQLModel, table=True):
    """An OpenID4VCI pre-authorized code (hashed) and its PIN (``tx_code``, hashed)."""

    __tablename__ = "issuer_offer"

    code_hash: str = Field(primary_key=True, max_length=64)
    credential_id: str = Field(foreign_key="issuer_credential.id", index=True, max_length=32)
    pin_hash: str = Field(max_length=64)
    attempts: int = 0
    exp: int = Field(sa_type=BigInteger)
    redeemed: bool = False


class Nonce(SQLModel, table=True):
    """A ``c_nonce`` from the nonce endpoint (hashed); deleted when used."""

    __tablename__ = "issuer_nonce"

    nonce_hash: str = Field(primary_key=True, max_length=64)
    exp: int = Field(sa_type=BigInteger, index=True)


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained audit log (``issuer.audit``). No personal data."""

    __tablename__ = "issuer_audit_event"

    seq: int | None = Field(default=None, primary_key=True)
    at: int = Field(sa_type=BigInteger)
    agency_code: str | None = Field(default=None, max_length=16)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=32)
    credential_id: str | None = Field(default=None, max_length=32, index=True)
    detail: str = Field(default="{}", sa_type=Text)
    # UNIQUE prev_hash: no two rows can follow the same row, the chain cannot fork
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    hash: str = Field(sa_column=Column(String(64), nullable=False))


# License-event tables live in their own module (issue 8); importing them here registers
# them wherever the issuer's models are loaded (alembic, the app).
from issuer.events_models import Delivery, Event, Subscription  # noqa: E402,F401
