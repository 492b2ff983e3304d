"""Issuer-specific errors, each a subclass of the nearest ``core.errors`` category with its
own stable ``code`` (tests and clients key on it).

    BadRequest
    ├── UnknownType                400 unknown_type
    ├── InvalidScope               400 invalid_scope        (OAuth error invalid_scope)
    ├── UnsupportedGrantType       400 unsupported_grant_type
    ├── InvalidGrant               400 invalid_grant        (pre-authorized code / PIN)
    ├── InvalidProof               400 invalid_proof        (OpenID4VCI proof JWT)
    └── InvalidNonce               400 invalid_nonce        (stale or unknown c_nonce)
    Unauthenticated
    ├── InvalidClient              401 invalid_client
    └── InvalidToken               401 invalid_token
    Forbidden
    ├── InsufficientScope          403 insufficient_scope
    ├── TypeNotAllowed             403 type_not_allowed     (another agency's license type)
    └── CredentialNotOwned         403 credential_not_owned (another agency's credential)
    NotFound
    ├── CredentialNotFound         404 credential_not_found
    └── StatusListNotFound         404 status_list_not_found
    Conflict
    ├── IdempotencyKeyReused       409 idempotency_key_reused
    ├── InvalidTransition          409 invalid_transition   (e.g. reinstate a revoked one)
    └── OfferAlreadyRedeemed       409 offer_already_redeemed

OAuth/OpenID4VCI errors also carry the protocol's ``error`` member (RFC 6749 §5.2).
"""

from __future__ import annotations

from typing import Any, ClassVar

from core.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthenticated

__all__ = [
    "CredentialNotFound",
    "CredentialNotOwned",
    "IdempotencyKeyReused",
    "InsufficientScope",
    "InvalidClient",
    "InvalidGrant",
    "InvalidNonce",
    "InvalidProof",
    "InvalidScope",
    "InvalidToken",
    "InvalidTransition",
    "OfferAlreadyRedeemed",
    "StatusListNotFound",
    "TypeNotAllowed",
    "UnknownType",
    "UnsupportedGrantType",
]


class _OAuthError:
    """Mixin: also render the RFC 6749 ``error`` member."""

    code: ClassVar[str]

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        extra.setdefault("error", self.code)
        super().__init__(detail, **extra)  # type: ignore[call-arg]


class UnknownType(BadRequest):
    code = "unknown_type"
    title = "Unknown license type"


class InvalidScope(_OAuthError, BadRequest):
    code = "invalid_scope"
    title = "Requested scope not allowed"


class UnsupportedGrantType(_OAuthError, BadRequest):
    code = "unsupported_grant_type"
    title = "Unsupported grant type"


class InvalidGrant(_OAuthError, BadRequest):
    code = "invalid_grant"
    title = "Invalid grant"


class InvalidProof(_OAuthError, BadRequest):
    code = "invalid_proof"
    title = "Invalid proof"


class InvalidNonce(_OAuthError, BadRequest):
    code = "invalid_nonce"
    title = "Invalid or stale nonce"


class InvalidClient(_OAuthError, Unauthenticated):
    code = "invalid_client"
    title = "Client authentication failed"


class InvalidToken(_OAuthError, Unauthenticated):
    code = "invalid_token"
    title = "Access token invalid or expired"


class InsufficientScope(_OAuthError, Forbidden):
    code = "insufficient_scope"
    title = "Access token lacks the required scope"


class TypeNotAllowed(Forbidden):
    code = "type_not_allowed"
    title = "This agency may not issue this license type"


class CredentialNotOwned(Forbidden):
    code = "credential_not_owned"
    title = "Credential belongs to another agency"


class CredentialNotFound(NotFound):
    code = "credential_not_found"
    title = "Credential not found"


class StatusListNotFound(NotFound):
    code = "status_list_not_found"
    title = "Status list not found"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused with a different request"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "Status change not allowed from the current state"


class OfferAlreadyRedeemed(Conflict):
    code = "offer_already_redeemed"
    title = "Credential offer already redeemed"
