"""OpenID for Verifiable Presentations 1.0 building blocks, framework-free (DESIGN §4.3).

The verifier-initiated flow, cross-device (§3.2), for SD-JWT VC (Appendix B.3):

1. verifier: ``build_dcql_query`` → ``build_request_object`` (signed, RFC 9101) served at
   a ``request_uri``; the staff page shows ``authorization_request_uri(...)`` as a QR code;
2. wallet: ``parse_authorization_request_uri`` → GET the ``request_uri`` →
   ``verify_request_object`` (key from the wallet's verifier registry by ``client_id``) →
   ``check_dcql_within_policy`` (scenario) → ``match_dcql`` → ``core.credential.present``
   with ``aud=client_id``, ``nonce`` → ``build_vp_token`` → POST ``direct_post_form`` (or
   ``error_response_form`` when the citizen refuses) to the ``response_uri``;
3. verifier: ``parse_direct_post`` → find the transaction by ``state`` → ``verify_vp_token``.

Client identification: pre-registered ``client_id`` without a Client Identifier Prefix
(§5.9.2); the reasons are in docs/interop.md. Errors: ``core.oid4vp.errors``.
"""

from core.oid4vp._dcql import (
    build_dcql_query,
    check_dcql_within_policy,
    match_dcql,
    validate_dcql,
)
from core.oid4vp._request import (
    SELF_ISSUED_AUD,
    AuthorizationRequest,
    build_request_object,
    verify_request_object,
)
from core.oid4vp._response import (
    VpToken,
    build_vp_token,
    direct_post_form,
    error_response_form,
    parse_direct_post,
    verify_vp_token,
)
from core.oid4vp._uri import (
    AuthorizationRequestUri,
    authorization_request_uri,
    parse_authorization_request_uri,
)

__all__ = [
    "SELF_ISSUED_AUD",
    "AuthorizationRequest",
    "AuthorizationRequestUri",
    "VpToken",
    "authorization_request_uri",
    "build_dcql_query",
    "build_request_object",
    "build_vp_token",
    "check_dcql_within_policy",
    "direct_post_form",
    "error_response_form",
    "match_dcql",
    "parse_authorization_request_uri",
    "parse_direct_post",
    "validate_dcql",
    "verify_request_object",
    "verify_vp_token",
]
