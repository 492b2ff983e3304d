"""core.oid4vp: whatever a wallet or verifier receives ends in a result or one of our
errors (``core.errors`` tree), never a raw Python exception (property tests)."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.credential import StaticKeys
from core.errors import ELicenseError
from core.jose import sign_compact
from core.oid4vp import (
    parse_authorization_request_uri,
    parse_direct_post,
    validate_dcql,
    verify_request_object,
)
from keys.software import generate_signer

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2**40) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["credentials", "id", "format", "meta", "vct_values", "claims",
                         "path", "values", "claim_sets", "credential_sets", "options",
                         "required", "multiple", "x"]), inner, max_size=5),
    max_leaves=25,
)
KEYS = StaticKeys({})


def _ours_or_nothing(f: Any, *args: Any, **kw: Any) -> None:
    with contextlib.suppress(ELicenseError):
        f(*args, **kw)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_validate_dcql_on_any_json(value: Any) -> None:
    _ours_or_nothing(validate_dcql, value)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["vp_token", "state", "error", "error_description",
                                        "response", "x"]), st.text(max_size=40), max_size=4))
def test_parse_direct_post_on_any_form(form: dict[str, str]) -> None:
    _ours_or_nothing(parse_direct_post, form)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120) | st.builds(lambda a, b: f"openid4vp://?{a}={b}",
                                         st.sampled_from(["client_id", "request_uri"]),
                                         st.text(max_size=40)))
def test_parse_authorization_request_uri_on_any_text(text: str) -> None:
    _ours_or_nothing(parse_authorization_request_uri, text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_verify_request_object_on_any_text(text: str) -> None:
    _ours_or_nothing(verify_request_object, text, keys=KEYS, client_id="hotel", now=0)


_SIGNER = generate_signer("EdDSA")
_REGISTRY = StaticKeys({"hotel": {"keys": [_SIGNER.public_jwk()]}})
_PARAMS = {"client_id": "hotel", "response_type": "vp_token", "response_mode": "direct_post",
           "response_uri": "https://v.example/r", "nonce": "n-123", "exp": 100,
           "dcql_query": {"credentials": [{"id": "a", "format": "dc+sd-jwt",
                                           "meta": {"vct_values": ["urn:v"]}}]}}


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.sampled_from([*_PARAMS, "iat", "nbf", "aud", "state", "scope",
                                        "redirect_uri", "transaction_data"]), JSON,
                       max_size=6))
def test_verify_request_object_on_any_signed_payload(over: dict[str, Any]) -> None:
    jws = sign_compact({"typ": "oauth-authz-req+jwt"}, {**_PARAMS, **over}, _SIGNER)
    _ours_or_nothing(verify_request_object, jws, keys=_REGISTRY, client_id="hotel", now=0)
