"""core.oid4vp: the public surface and its error codes (tested ``__all__``, STYLE)."""

from __future__ import annotations

import core.oid4vp as oid4vp
import core.oid4vp.errors as errors
from core.errors import BadRequest, Forbidden, NotFound, VerificationError


def test_public_surface() -> None:
    assert oid4vp.__all__ == [
        "SELF_ISSUED_AUD", "AuthorizationRequest", "AuthorizationRequestUri", "VpToken",
        "authorization_request_uri", "build_dcql_query", "build_request_object",
        "build_vp_token", "check_dcql_within_policy", "direct_post_form",
        "error_response_form", "match_dcql", "parse_authorization_request_uri",
        "parse_direct_post", "validate_dcql", "verify_request_object", "verify_vp_token",
    ]
    for name in oid4vp.__all__:
        assert getattr(oid4vp, name) is not None


def test_error_codes_and_categories() -> None:
    codes = {getattr(errors, n).code: getattr(errors, n) for n in errors.__all__}
    assert len(codes) == len(errors.__all__)
    for code in ("request_object_invalid", "request_object_unsigned", "request_object_expired",
                 "client_id_mismatch", "dcql_claim_not_allowed", "access_denied"):
        assert code in codes
    assert issubclass(codes["request_object_unsigned"], BadRequest)
    assert issubclass(codes["dcql_claim_not_allowed"], Forbidden)
    assert issubclass(codes["dcql_vct_mismatch"], NotFound)
    assert issubclass(codes["vp_token_claims_missing"], VerificationError)
    assert codes["access_denied"].status == 403
