"""Request and response bodies of the wallet API (DESIGN §7, docs/team-contracts.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["AccountOut", "CredentialOut", "LoginIn", "OfferIn", "QrIn", "QrOut", "RedeemIn",
           "RedeemOut", "RegisterIn", "TokenOut"]


class RegisterIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(max_length=1024)


class LoginIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class AccountOut(BaseModel):
    id: int
    username: str


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - RFC 6749 token type, not a secret
    expires_in: int


class OfferIn(BaseModel):
    """A credential offer (OpenID4VCI §4.1) by value or by reference, with its PIN."""

    credential_offer: dict[str, Any] | None = None
    credential_offer_uri: str | None = Field(default=None, max_length=4096)
    tx_code: str | None = Field(default=None, max_length=64)


class CredentialOut(BaseModel):
    id: str
    type: str
    names: dict[str, str]
    vct: str
    issuer: str
    agency: str | None
    issued_at: int
    expires_at: int | None
    valid_until: str | None
    status: str  # valid | revoked | suspended | unknown | none
    copies_remaining: int
    copies_low: bool


class QrIn(BaseModel):
    scenario: str = Field(max_length=64)
    mode: Literal["online", "offline"] = "online"
    # The offline QR this one refreshes (the same showing keeps its copy).
    refresh_of: str | None = Field(default=None, max_length=8192)


class QrOut(BaseModel):
    payload: str
    expires_at: int
    png_base64: str
    svg: str
    mode: str
    scenario: str
    disclosed: list[str]
    refresh_s: int
    copies_remaining: int
    copies_low: bool
    linkable: bool


class RedeemIn(BaseModel):
    token: str = Field(max_length=200)
    nonce: str = Field(min_length=1, max_length=200)
    aud: str = Field(min_length=1, max_length=500)
    scenario: str = Field(max_length=64)


class RedeemOut(BaseModel):
    presentation: str
    scenario: str
