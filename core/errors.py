"""The one exception tree of elicense.

Every error has a stable snake_case ``code`` (tests and clients key on it, never on the
English ``detail``) and an HTTP ``status``; ``core.web`` renders any of them as RFC 9457
``application/problem+json``. Third-party failures (pyjwt, cryptography, zlib, json,
httpx, zxing) are translated into this tree at one boundary each and never escape raw.

    ELicenseError                      500 internal_error
    ├── BadRequest                     400 invalid_request
    │   ├── PayloadTooLarge            413 payload_too_large
    │   └── ValidationFailed           422 validation_failed      (field errors in ``errors``)
    ├── Unauthenticated                401 unauthenticated
    ├── Forbidden                      403 forbidden
    ├── NotFound                       404 not_found
    ├── Conflict                       409 conflict
    ├── RateLimited                    429 rate_limited
    ├── UpstreamError                  502 upstream_error
    ├── ServiceUnavailable             503 service_unavailable
    │   └── DatabaseUnavailable        503 database_unavailable  (a write could not be made)
    └── VerificationError              422 verification_failed    (a credential is not accepted)
        ├── MalformedError             422 malformed               (cannot be parsed at all)
        │   └── LimitExceeded          422 limit_exceeded          (hostile sizes, docs/security.md)
        │       (presentation_too_large, too_many_disclosures, disclosure_too_large,
        │        too_many_digests, kb_jwt_too_large, nesting_too_deep)
        ├── SignatureError             422 invalid_signature
        ├── KeyError_                  422 unknown_key
        ├── AlgorithmError             422 algorithm_not_allowed
        ├── ClaimsError                422 invalid_claims
        ├── DisclosureError            422 invalid_disclosure
        │   (disclosure_unreferenced, digest_duplicated, reserved_claim_name,
        │    claim_name_exists, sd_alg_unsupported)
        ├── KeyBindingError            422 key_binding_invalid
        │   (key_binding_missing, key_binding_unexpected, kb_typ_invalid,
        │    kb_iat_out_of_window, nonce_mismatch, aud_mismatch, sd_hash_mismatch)
        ├── StatusError                422 status_invalid
        │   └── StatusList*, Status*   422 status_list_malformed, status_list_too_large,
        │                                  status_list_expired, status_list_not_yet_valid,
        │                                  status_list_sub_mismatch, status_index_out_of_range,
        │                                  status_value_out_of_range, status_reference_missing,
        │                                  status_reference_invalid   (core.statuslist)
        └── TrustError                 422 untrusted_issuer

Codes are class attributes so that ``raise DigestDuplicated()`` carries its own stable
code; a module that needs a new code subclasses the nearest category here or in its own
package's ``errors`` module (never by passing a free-form string).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

__all__ = [
    "AlgorithmError",
    "AlgorithmNotAllowed",
    "BadRequest",
    "ClaimNameExists",
    "ClaimsError",
    "Conflict",
    "CredentialExpired",
    "CredentialNotYetValid",
    "CritUnsupported",
    "DatabaseUnavailable",
    "DigestDuplicated",
    "DisclosureError",
    "DisclosureInvalid",
    "DisclosureTooLarge",
    "DisclosureUnreferenced",
    "ELicenseError",
    "Forbidden",
    "HolderKeyMissing",
    "IssuedInFuture",
    "KbAudMismatch",
    "KbIatOutOfWindow",
    "KbJwtTooLarge",
    "KbTypInvalid",
    "KeyBindingError",
    "KeyBindingMissing",
    "KeyBindingUnexpected",
    "KeyError_",
    "LimitExceeded",
    "MalformedError",
    "NestingTooDeep",
    "NonceMismatch",
    "NotFound",
    "PayloadTooLarge",
    "PresentationTooLarge",
    "RateLimited",
    "ReservedClaimName",
    "SdAlgUnsupported",
    "SdHashMismatch",
    "ServiceUnavailable",
    "SignatureError",
    "StatusError",
    "StatusIndexOutOfRange",
    "StatusListExpired",
    "StatusListMalformed",
    "StatusListNotYetValid",
    "StatusListSubMismatch",
    "StatusListTooLarge",
    "StatusReferenceInvalid",
    "StatusReferenceMissing",
    "StatusValueOutOfRange",
    "TooManyDigests",
    "TooManyDisclosures",
    "TrustError",
    "TypInvalid",
    "Unauthenticated",
    "UnknownKey",
    "UpstreamError",
    "ValidationFailed",
    "VctMismatch",
    "VctMissing",
    "VerificationError",
    "error_codes",
    "field_errors",
]


class ELicenseError(Exception):
    """Root of every error elicense raises on purpose."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(self.detail)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, detail={self.detail!r})"

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """RFC 9457 members plus our stable ``code`` and any extension members."""
        body: dict[str, Any] = {
            "type": f"https://elicense.example/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


# --- request / API errors -------------------------------------------------------------


class BadRequest(ELicenseError):
    code = "invalid_request"
    status = 400
    title = "Invalid request"


class PayloadTooLarge(BadRequest):
    code = "payload_too_large"
    status = 413
    title = "Payload too large"


class ValidationFailed(BadRequest):
    """Input that parsed but broke a schema; ``errors=[{"field", "code", "message"}]``."""

    code = "validation_failed"
    status = 422
    title = "Validation failed"


class Unauthenticated(ELicenseError):
    code = "unauthenticated"
    status = 401
    title = "Authentication required"


class Forbidden(ELicenseError):
    code = "forbidden"
    status = 403
    title = "Forbidden"


class NotFound(ELicenseError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(ELicenseError):
    code = "conflict"
    status = 409
    title = "Conflict"


class RateLimited(ELicenseError):
    code = "rate_limited"
    status = 429
    title = "Too many requests"


class UpstreamError(ELicenseError):
    code = "upstream_error"
    status = 502
    title = "Upstream service failed"


class ServiceUnavailable(ELicenseError):
    code = "service_unavailable"
    status = 503
    title = "Service unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"
    title = "The database is unavailable; try again"


# --- verification errors (a credential, presentation, status or trust list refused) --


class VerificationError(ELicenseError):
    code = "verification_failed"
    status = 422
    title = "Verification failed"


class MalformedError(VerificationError):
    code = "malformed"
    title = "Malformed token"


class SignatureError(VerificationError):
    code = "invalid_signature"
    title = "Signature does not verify"


class KeyError_(VerificationError):  # trailing underscore: not the builtin KeyError
    code = "unknown_key"
    title = "No trusted key for this token"


UnknownKey = KeyError_


class AlgorithmError(VerificationError):
    code = "algorithm_not_allowed"
    title = "Algorithm not allowed"


AlgorithmNotAllowed = AlgorithmError


class LimitExceeded(MalformedError):
    """An attacker-controlled size over its limit (docs/security.md): refused before the
    work it would cost. A ``MalformedError`` so that every verifier path that reports a
    refused credential reports these too."""

    code = "limit_exceeded"
    title = "Input exceeds a size limit"


class PresentationTooLarge(LimitExceeded):
    code = "presentation_too_large"
    title = "Presentation longer than allowed"


class TooManyDisclosures(LimitExceeded):
    code = "too_many_disclosures"
    title = "More disclosures than allowed"


class DisclosureTooLarge(LimitExceeded):
    code = "disclosure_too_large"
    title = "Disclosure longer than allowed"


class TooManyDigests(LimitExceeded):
    code = "too_many_digests"
    title = "More embedded digests than allowed"


class KbJwtTooLarge(LimitExceeded):
    code = "kb_jwt_too_large"
    title = "KB-JWT longer than allowed"


class NestingTooDeep(LimitExceeded):
    code = "nesting_too_deep"
    title = "JSON nested deeper than allowed"


class CritUnsupported(MalformedError):
    code = "crit_unsupported"
    title = "Unsupported critical header"


class TypInvalid(MalformedError):
    code = "typ_invalid"
    title = "Wrong token type"


class ClaimsError(VerificationError):
    code = "invalid_claims"
    title = "Invalid claims"


class CredentialExpired(ClaimsError):
    code = "credential_expired"
    title = "Credential expired"


class CredentialNotYetValid(ClaimsError):
    code = "credential_not_yet_valid"
    title = "Credential not yet valid"


class IssuedInFuture(ClaimsError):
    code = "issued_in_future"
    title = "Credential issued in the future"


class VctMissing(ClaimsError):
    code = "vct_missing"
    title = "vct claim missing"


class VctMismatch(ClaimsError):
    code = "vct_mismatch"
    title = "Credential type is not the one expected"


class HolderKeyMissing(ClaimsError):
    code = "holder_key_missing"
    title = "cnf.jwk missing"


class DisclosureError(VerificationError):
    code = "invalid_disclosure"
    title = "Invalid disclosure"


DisclosureInvalid = DisclosureError


class DisclosureUnreferenced(DisclosureError):
    code = "disclosure_unreferenced"
    title = "Disclosure not referenced by any digest"


class ClaimNameExists(DisclosureError):
    code = "claim_name_exists"
    title = "Disclosed claim name already exists at its level"


class SdAlgUnsupported(DisclosureError):
    code = "sd_alg_unsupported"
    title = "_sd_alg is not an accepted hash algorithm"


class DigestDuplicated(DisclosureError):
    code = "digest_duplicated"
    title = "Digest appears more than once"


class ReservedClaimName(DisclosureError):
    code = "reserved_claim_name"
    title = "Disclosure uses a reserved or protected claim name"


class KeyBindingError(VerificationError):
    code = "key_binding_invalid"
    title = "Key binding invalid"


class KeyBindingMissing(KeyBindingError):
    code = "key_binding_missing"
    title = "Key binding required but missing"


class KeyBindingUnexpected(KeyBindingError):
    code = "key_binding_unexpected"
    title = "Key binding present where none was expected"


class KbTypInvalid(KeyBindingError):
    code = "kb_typ_invalid"
    title = "KB-JWT typ is not kb+jwt"


class KbIatOutOfWindow(KeyBindingError):
    code = "kb_iat_out_of_window"
    title = "KB-JWT iat outside the accepted window"


class NonceMismatch(KeyBindingError):
    code = "nonce_mismatch"
    title = "Nonce does not match"


class KbAudMismatch(KeyBindingError):
    code = "aud_mismatch"
    title = "Audience does not match"


class SdHashMismatch(KeyBindingError):
    code = "sd_hash_mismatch"
    title = "sd_hash does not match the presentation"


class StatusError(VerificationError):
    code = "status_invalid"
    title = "Status check failed"


# Token Status List (draft-ietf-oauth-status-list), raised by ``core.statuslist``.


class StatusListMalformed(StatusError):
    code = "status_list_malformed"
    title = "Status list cannot be decoded"


class StatusListTooLarge(StatusError):
    code = "status_list_too_large"
    title = "Status list larger than allowed"


class StatusListExpired(StatusError):
    code = "status_list_expired"
    title = "Status list token expired"


class StatusListNotYetValid(StatusError):
    code = "status_list_not_yet_valid"
    title = "Status list token issued in the future or not yet valid"


class StatusListSubMismatch(StatusError):
    code = "status_list_sub_mismatch"
    title = "Status list token sub is not the referenced uri"


class StatusIndexOutOfRange(StatusError):
    code = "status_index_out_of_range"
    title = "Status index outside the status list"


class StatusValueOutOfRange(StatusError):
    code = "status_value_out_of_range"
    title = "Status value does not fit the list's bits"


class StatusReferenceMissing(StatusError):
    code = "status_reference_missing"
    title = "Credential has no status.status_list claim"


class StatusReferenceInvalid(StatusError):
    code = "status_reference_invalid"
    title = "Credential status.status_list claim is invalid"


class TrustError(VerificationError):
    code = "untrusted_issuer"
    title = "Issuer not trusted"


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """pydantic's ``errors()`` as the ``errors`` of ``ValidationFailed``: the dotted field
    path (without the request-body prefix), pydantic's error type as ``code``, its message."""
    return [{"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
             "code": err.get("type", "invalid"), "message": err.get("msg", "")}
            for err in errors]


def error_codes() -> dict[str, type[ELicenseError]]:
    """Every code defined by a loaded subclass, for docs and the uniqueness test."""
    seen: dict[str, type[ELicenseError]] = {}
    stack: list[type[ELicenseError]] = [ELicenseError]
    while stack:
        cls = stack.pop()
        seen.setdefault(cls.code, cls)
        stack.extend(cls.__subclasses__())
    return seen
