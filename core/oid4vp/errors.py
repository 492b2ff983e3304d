"""Errors of the OpenID4VP 1.0 building blocks (``core.oid4vp``), each with a stable code.

Wallet side (a request the wallet refuses; it answers the verifier ``invalid_request``,
OpenID4VP §8.5, and shows the code to the citizen)::

    BadRequest
    ├── AuthorizationRequestInvalid     400 authorization_request_invalid  (the QR / link)
    ├── RequestObjectInvalid            400 request_object_invalid         (RFC 9101 JAR)
    │   ├── RequestObjectUnsigned           request_object_unsigned      (alg none, no sig)
    │   ├── RequestObjectTypInvalid         request_object_typ_invalid   (not oauth-authz-req+jwt)
    │   ├── RequestObjectAlgorithm          request_object_alg_not_allowed
    │   ├── RequestObjectSignature          request_object_signature_invalid
    │   ├── RequestObjectClientUnknown      request_object_client_unknown (no key registered)
    │   ├── RequestObjectExpired            request_object_expired
    │   ├── RequestObjectNotYetValid        request_object_not_yet_valid
    │   ├── ClientIdMismatch                client_id_mismatch
    │   ├── ClientIdPrefixUnsupported       client_id_prefix_unsupported
    │   ├── ResponseTypeUnsupported         response_type_unsupported
    │   ├── ResponseModeUnsupported         response_mode_unsupported
    │   └── ResponseUriInvalid              response_uri_invalid
    └── DcqlInvalid                     400 dcql_invalid                   (not a DCQL query)
    Forbidden
    └── DcqlClaimNotAllowed             403 dcql_claim_not_allowed   (beyond the scenario)
    NotFound
    └── DcqlNoMatch                     404 dcql_no_match            (→ access_denied)
        ├── DcqlFormatMismatch              dcql_format_mismatch
        ├── DcqlVctMismatch                 dcql_vct_mismatch
        └── DcqlClaimMissing                dcql_claim_missing

Verifier side (what came back to the ``response_uri``, OpenID4VP §8.2, §8.5, §8.6)::

    BadRequest
    ├── AuthorizationResponseInvalid    400 authorization_response_invalid (form unusable)
    └── WalletErrorResponse             400 wallet_error       (an error response, §8.5)
        └── AccessDenied                403 access_denied      (the citizen refused)
    VerificationError
    └── VpTokenInvalid                  422 vp_token_invalid   (§8.6 VP Token validation)
        ├── VpTokenCredentialMissing        vp_token_credential_missing
        ├── VpTokenVctMismatch              vp_token_vct_mismatch
        ├── VpTokenClaimsMissing            vp_token_claims_missing
        └── VpTokenClaimsUnrequested        vp_token_claims_unrequested

A wallet error response keeps the OAuth ``error``, ``error_description`` and ``state``
as attributes and as problem+json extension members.
"""

from __future__ import annotations

from typing import Any

from core.errors import BadRequest, Forbidden, NotFound, VerificationError

__all__ = [
    "AccessDenied",
    "AuthorizationRequestInvalid",
    "AuthorizationResponseInvalid",
    "ClientIdMismatch",
    "ClientIdPrefixUnsupported",
    "DcqlClaimMissing",
    "DcqlClaimNotAllowed",
    "DcqlFormatMismatch",
    "DcqlInvalid",
    "DcqlNoMatch",
    "DcqlVctMismatch",
    "RequestObjectAlgorithm",
    "RequestObjectClientUnknown",
    "RequestObjectExpired",
    "RequestObjectInvalid",
    "RequestObjectNotYetValid",
    "RequestObjectSignature",
    "RequestObjectTypInvalid",
    "RequestObjectUnsigned",
    "ResponseModeUnsupported",
    "ResponseTypeUnsupported",
    "ResponseUriInvalid",
    "VpTokenClaimsMissing",
    "VpTokenClaimsUnrequested",
    "VpTokenCredentialMissing",
    "VpTokenInvalid",
    "VpTokenVctMismatch",
    "WalletErrorResponse",
]


class AuthorizationRequestInvalid(BadRequest):
    code = "authorization_request_invalid"
    title = "Not a usable OpenID4VP authorization request"


class RequestObjectInvalid(BadRequest):
    code = "request_object_invalid"
    title = "Request object invalid"


class RequestObjectUnsigned(RequestObjectInvalid):
    code = "request_object_unsigned"
    title = "Request object is not signed"


class RequestObjectTypInvalid(RequestObjectInvalid):
    code = "request_object_typ_invalid"
    title = "Request object typ is not oauth-authz-req+jwt"


class RequestObjectAlgorithm(RequestObjectInvalid):
    code = "request_object_alg_not_allowed"
    title = "Request object algorithm not allowed"


class RequestObjectSignature(RequestObjectInvalid):
    code = "request_object_signature_invalid"
    title = "Request object signature does not verify"


class RequestObjectClientUnknown(RequestObjectInvalid):
    code = "request_object_client_unknown"
    title = "No registered key for this client_id"


class RequestObjectExpired(RequestObjectInvalid):
    code = "request_object_expired"
    title = "Request object expired"


class RequestObjectNotYetValid(RequestObjectInvalid):
    code = "request_object_not_yet_valid"
    title = "Request object issued in the future"


class ClientIdMismatch(RequestObjectInvalid):
    code = "client_id_mismatch"
    title = "client_id of the request object differs from the one in the request"


class ClientIdPrefixUnsupported(RequestObjectInvalid):
    code = "client_id_prefix_unsupported"
    title = "Client Identifier Prefix not supported"


class ResponseTypeUnsupported(RequestObjectInvalid):
    code = "response_type_unsupported"
    title = "response_type must be vp_token"


class ResponseModeUnsupported(RequestObjectInvalid):
    code = "response_mode_unsupported"
    title = "response_mode must be direct_post"


class ResponseUriInvalid(RequestObjectInvalid):
    code = "response_uri_invalid"
    title = "response_uri must be https (or http on a loopback address)"


class DcqlInvalid(BadRequest):
    code = "dcql_invalid"
    title = "Not a valid DCQL query"


class DcqlClaimNotAllowed(Forbidden):
    code = "dcql_claim_not_allowed"
    title = "The query asks for a claim the scenario does not allow"


class DcqlNoMatch(NotFound):
    code = "dcql_no_match"
    title = "The credential cannot satisfy the query"


class DcqlFormatMismatch(DcqlNoMatch):
    code = "dcql_format_mismatch"
    title = "The query asks for another credential format"


class DcqlVctMismatch(DcqlNoMatch):
    code = "dcql_vct_mismatch"
    title = "The credential type is not among the query's vct_values"


class DcqlClaimMissing(DcqlNoMatch):
    code = "dcql_claim_missing"
    title = "The credential lacks a claim the query requires"


class AuthorizationResponseInvalid(BadRequest):
    code = "authorization_response_invalid"
    title = "Authorization response unusable"


class WalletErrorResponse(BadRequest):
    """The wallet answered with an OAuth error response (OpenID4VP §8.5)."""

    code = "wallet_error"
    title = "The wallet returned an error"

    def __init__(self, detail: str | None = None, *, error: str, state: str | None = None,
                 error_description: str | None = None, **extra: Any) -> None:
        super().__init__(detail or error_description or error, error=error, state=state,
                         error_description=error_description, **extra)
        self.error = error
        self.state = state
        self.error_description = error_description


class AccessDenied(WalletErrorResponse):
    code = "access_denied"
    status = 403
    title = "The citizen declined, or the wallet has no matching credential"


class VpTokenInvalid(VerificationError):
    code = "vp_token_invalid"
    title = "VP Token invalid"


class VpTokenCredentialMissing(VpTokenInvalid):
    code = "vp_token_credential_missing"
    title = "VP Token lacks a requested credential"


class VpTokenVctMismatch(VpTokenInvalid):
    code = "vp_token_vct_mismatch"
    title = "Presented credential type was not requested"


class VpTokenClaimsMissing(VpTokenInvalid):
    code = "vp_token_claims_missing"
    title = "Presentation lacks requested claims"


class VpTokenClaimsUnrequested(VpTokenInvalid):
    code = "vp_token_claims_unrequested"
    title = "Presentation discloses claims that were not requested"
