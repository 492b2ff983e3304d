"""Wallet-specific errors, each a subclass of the nearest ``core.errors`` category with its
own stable ``code`` (tests and the citizen page key on the code, never on the English).

    Unauthenticated
    ├── InvalidCredentials        401 invalid_credentials      (wrong username or password)
    └── VerifierUnauthenticated   401 verifier_unauthenticated (redeem without a client secret)
    Forbidden
    └── CsrfFailed                403 csrf_failed
    NotFound
    ├── CredentialNotFound        404 credential_not_found     (also: another citizen's id)
    ├── ScenarioNotFound          404 scenario_not_found
    └── TokenUnknown              404 token_unknown
    Conflict
    ├── UsernameTaken             409 username_taken
    ├── CredentialRevoked         409 credential_revoked
    ├── CredentialSuspended       409 credential_suspended
    ├── TokenUsed                 409 token_used
    └── TokenExpired              410 token_expired
    BadRequest
    ├── PasswordTooShort          422 password_too_short
    ├── ScenarioNotApplicable     422 scenario_not_applicable  (license type not served)
    ├── ModeNotAllowed            422 mode_not_allowed
    ├── ScenarioMismatch          422 scenario_mismatch        (redeem for another scenario)
    ├── OfferInvalid              400 offer_invalid
    ├── OfferRejected             400 offer_rejected           (issuer refused code or PIN)
    └── TxCodeRequired            400 tx_code_required
    UpstreamError
    ├── IssuerFailed              502 issuer_failed
    └── CatalogUnavailable        502 catalog_unavailable
"""

from __future__ import annotations

from core.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthenticated, UpstreamError

__all__ = [
    "CatalogUnavailable",
    "CredentialNotFound",
    "CredentialRevoked",
    "CredentialSuspended",
    "CsrfFailed",
    "InvalidCredentials",
    "IssuerFailed",
    "ModeNotAllowed",
    "OfferInvalid",
    "OfferRejected",
    "PasswordTooShort",
    "ScenarioMismatch",
    "ScenarioNotApplicable",
    "ScenarioNotFound",
    "TokenExpired",
    "TokenUnknown",
    "TokenUsed",
    "TxCodeRequired",
    "UsernameTaken",
    "VerifierUnauthenticated",
]


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    title = "Wrong username or password"


class VerifierUnauthenticated(Unauthenticated):
    code = "verifier_unauthenticated"
    title = "Verifier client authentication required"


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    title = "CSRF token missing or wrong"


class CredentialNotFound(NotFound):
    code = "credential_not_found"
    title = "No such credential in this wallet"


class ScenarioNotFound(NotFound):
    code = "scenario_not_found"
    title = "The verifier publishes no such scenario"


class TokenUnknown(NotFound):
    code = "token_unknown"
    title = "Unknown presentation token"


class UsernameTaken(Conflict):
    code = "username_taken"
    title = "Username already registered"


class CredentialRevoked(Conflict):
    code = "credential_revoked"
    title = "This license has been revoked"


class CredentialSuspended(Conflict):
    code = "credential_suspended"
    title = "This license is suspended"


class TokenUsed(Conflict):
    code = "token_used"
    title = "Presentation token already used"


class TokenExpired(Conflict):
    code = "token_expired"
    status = 410
    title = "Presentation token expired"


class PasswordTooShort(BadRequest):
    code = "password_too_short"
    status = 422
    title = "Password too short"


class ScenarioNotApplicable(BadRequest):
    code = "scenario_not_applicable"
    status = 422
    title = "This license type is not accepted in that scenario"


class ModeNotAllowed(BadRequest):
    code = "mode_not_allowed"
    status = 422
    title = "The scenario does not allow this presentation mode"


class ScenarioMismatch(BadRequest):
    code = "scenario_mismatch"
    status = 422
    title = "The token was shown for another scenario"


class OfferInvalid(BadRequest):
    code = "offer_invalid"
    title = "Invalid credential offer"


class OfferRejected(BadRequest):
    """The issuer's token endpoint refused the pre-authorized code or the PIN; the issuer's
    own ``upstream_code`` / ``reason`` / ``attempts_left`` are passed on."""

    code = "offer_rejected"
    title = "The issuer refused the offer's code or PIN"


class TxCodeRequired(BadRequest):
    code = "tx_code_required"
    title = "The offer needs its transaction code (PIN)"


class IssuerFailed(UpstreamError):
    code = "issuer_failed"
    title = "The issuer refused or failed"


class CatalogUnavailable(UpstreamError):
    code = "catalog_unavailable"
    title = "The scenario catalog could not be read"
