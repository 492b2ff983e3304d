"""The signing-key table (DESIGN §1 keys/, §2 "kid = RFC 7638 thumbprint").

One row per key pair of any owner (``issuer``, ``trust_anchor``, ``verifier``,
``wallet:<user>``). ``backend`` says where the private key lives: ``software`` = stored here
only as AES-256-GCM ciphertext (``keys.crypto``); ``pkcs11`` = generated inside an HSM token
and never extractable (``keys.pkcs11``): the row keeps the token and key labels, no
ciphertext. The public JWK is plain JSON text so that JWKS never decrypts anything.

States (``keys.service`` enforces the transitions)::

    pending ──activate──▶ active ──rotate/retire──▶ retired
       └──────────────┴──────────────┴──revoke──▶ revoked

A pending key is already published in the JWKS (verifiers learn it before it signs), a
retired key stays published until ``not_after`` (when the last credential it signed
expires), a revoked key is never published and never signs again.

Times are epoch seconds (STYLE habit 8).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Index, Text
from sqlmodel import Field, SQLModel

__all__ = ["KeyBackend", "KeyState", "SigningKey", "SigningKeyBase", "SigningKeyPublic"]


class KeyBackend(StrEnum):
    SOFTWARE = "software"
    PKCS11 = "pkcs11"


class KeyState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"


class SigningKeyBase(SQLModel):
    owner: str = Field(max_length=200)
    kid: str = Field(max_length=64, unique=True, index=True)
    alg: str = Field(max_length=16)
    state: str = Field(default=KeyState.PENDING.value, max_length=16)
    created_at: int
    activated_at: int | None = None
    retired_at: int | None = None
    revoked_at: int | None = None
    # Retired keys stay in the JWKS until this time; None = until explicitly revoked.
    not_after: int | None = None
    backend: str = Field(default=KeyBackend.SOFTWARE.value, max_length=16)
    # pkcs11 keys: CKA_LABEL of the token (32 bytes max in PKCS#11) and of the key pair.
    hsm_token_label: str | None = Field(default=None, max_length=32)
    hsm_key_label: str | None = Field(default=None, max_length=200)


class SigningKey(SigningKeyBase, table=True):
    __tablename__ = "keys_signing_key"
    __table_args__ = (
        Index("ix_keys_signing_key_owner_state", "owner", "state"),
        CheckConstraint(
            "state IN ('pending', 'active', 'retired', 'revoked')",
            name="ck_keys_signing_key_state",
        ),
        CheckConstraint(
            "(backend = 'software' AND private_ciphertext IS NOT NULL) OR "
            "(backend = 'pkcs11' AND private_ciphertext IS NULL "
            "AND hsm_token_label IS NOT NULL AND hsm_key_label IS NOT NULL)",
            name="ck_keys_signing_key_backend",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_jwk: str = Field(sa_type=Text)
    # "v1." + base64url(nonce || AES-256-GCM ciphertext+tag) of the private JWK, AAD = kid.
    # None for pkcs11 keys (the private key never leaves the token).
    private_ciphertext: str | None = Field(default=None, sa_type=Text, repr=False)

    def __repr__(self) -> str:  # never the ciphertext, let alone plaintext
        return (f"SigningKey(id={self.id!r}, owner={self.owner!r}, kid={self.kid!r}, "
                f"alg={self.alg!r}, state={self.state!r}, backend={self.backend!r})")

    __str__ = __repr__

    def public_jwk_dict(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(self.public_jwk)
        return jwk

    def to_public(self) -> SigningKeyPublic:
        return SigningKeyPublic(
            id=self.id or 0, public_jwk=self.public_jwk_dict(),
            **self.model_dump(include=set(SigningKeyBase.model_fields)),
        )


class SigningKeyPublic(SigningKeyBase):
    """What the API and the CLI may show: no private material, not even ciphertext."""

    id: int
    public_jwk: dict[str, Any]
