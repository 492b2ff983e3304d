"""core.oid4vp signed Request Object by reference (OpenID4VP 1.0 §5, §8.2; RFC 9101) and the
``openid4vp://`` authorization request URI: every refusal has its own code."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from core.credential import StaticKeys
from core.jose import b64u_encode, json_dumps, sign_compact
from core.oid4vp import (
    SELF_ISSUED_AUD,
    AuthorizationRequest,
    AuthorizationRequestUri,
    authorization_request_uri,
    build_dcql_query,
    build_request_object,
    parse_authorization_request_uri,
    verify_request_object,
)
from core.oid4vp.errors import RequestObjectInvalid
from keys.software import SoftwareSigner, generate_signer

NOW = 1_790_000_000
CLIENT_ID = "http://127.0.0.1:8000/verifier/orgs/hotel"
RESPONSE_URI = "http://127.0.0.1:8000/verifier/v1/oid4vp/response"
REQUEST_URI = "http://127.0.0.1:8000/verifier/v1/oid4vp/request/abc"
NONCE = "n-0S6_WzA2Mj"
STATE = "st-8f0a1b"
DCQL = build_dcql_query(credential_id="id_card",
                        vcts=["http://127.0.0.1:8000/issuer/vct/id_card"],
                        claims=["name", "document_number"])


@pytest.fixture(params=["ES256", "EdDSA"], scope="module")
def verifier(request: pytest.FixtureRequest) -> SoftwareSigner:
    return generate_signer(request.param)


def _keys(signer: SoftwareSigner, client_id: str = CLIENT_ID) -> StaticKeys:
    return StaticKeys({client_id: {"keys": [signer.public_jwk()]}})


def _build(signer: SoftwareSigner, **over: Any) -> str:
    args: dict[str, Any] = dict(signer=signer, client_id=CLIENT_ID, response_uri=RESPONSE_URI,
                                nonce=NONCE, state=STATE, dcql_query=DCQL, iat=NOW - 5,
                                exp=NOW + 300)
    args.update(over)
    return build_request_object(**args)


def _payload(**over: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "iss": CLIENT_ID, "aud": SELF_ISSUED_AUD, "response_type": "vp_token",
        "response_mode": "direct_post", "client_id": CLIENT_ID, "response_uri": RESPONSE_URI,
        "nonce": NONCE, "state": STATE, "dcql_query": DCQL, "iat": NOW - 5, "exp": NOW + 300,
    }
    for k, v in over.items():
        if v is None:
            p.pop(k, None)
        else:
            p[k] = v
    return p


def _sign(signer: SoftwareSigner, payload: dict[str, Any], **header: Any) -> str:
    return sign_compact({"typ": "oauth-authz-req+jwt", **header}, payload, signer)


def _code(exc: pytest.ExceptionInfo[Any]) -> str:
    return str(exc.value.code)


def _verify(jws: str, signer: SoftwareSigner, **kw: Any) -> AuthorizationRequest:
    args: dict[str, Any] = dict(keys=_keys(signer), client_id=CLIENT_ID, now=NOW)
    args.update(kw)
    return verify_request_object(jws, **args)


def test_round_trip(verifier: SoftwareSigner) -> None:
    req = _verify(_build(verifier), verifier)
    assert req == AuthorizationRequest(
        client_id=CLIENT_ID, response_uri=RESPONSE_URI, nonce=NONCE, state=STATE,
        dcql_query=DCQL, iat=NOW - 5, exp=NOW + 300, kid=verifier.kid, claims=req.claims)
    assert req.claims["aud"] == SELF_ISSUED_AUD and req.claims["iss"] == CLIENT_ID
    with pytest.raises(dataclasses.FrozenInstanceError):
        req.nonce = "x"  # type: ignore[misc]


def test_header_is_oauth_authz_req_jwt_with_the_signers_alg_and_kid(
        verifier: SoftwareSigner) -> None:
    import json

    from core.jose import b64u_decode
    header = json.loads(b64u_decode(_build(verifier).split(".")[0]))
    assert header == {"typ": "oauth-authz-req+jwt", "alg": verifier.alg, "kid": verifier.kid}


def test_state_is_optional(verifier: SoftwareSigner) -> None:
    req = _verify(_build(verifier, state=None), verifier)
    assert req.state is None and "state" not in req.claims


def test_iss_is_ignored_the_key_comes_from_the_url_client_id(verifier: SoftwareSigner) -> None:
    """§5: the wallet MUST ignore iss; the key is looked up by the URL's client_id."""
    jws = _sign(verifier, _payload(iss="https://attacker.example"))
    assert _verify(jws, verifier).client_id == CLIENT_ID


def test_unsigned_request_object_is_refused(verifier: SoftwareSigner) -> None:
    h = b64u_encode(json_dumps({"typ": "oauth-authz-req+jwt", "alg": "none"}))
    p = b64u_encode(json_dumps(_payload()))
    for jws in (f"{h}.{p}.", f"{h}.{p}.{b64u_encode(b'x' * 64)}"):
        with pytest.raises(RequestObjectInvalid) as e:
            _verify(jws, verifier)
        assert _code(e) == "request_object_unsigned"
    # a real alg with the signature stripped
    signed = _build(verifier)
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(signed.rsplit(".", 1)[0] + ".", verifier)
    assert _code(e) == "request_object_unsigned"


def test_wrongly_signed_request_object_is_refused(verifier: SoftwareSigner) -> None:
    other = generate_signer(verifier.alg)

    class Impostor:  # signs with another key under the registered key's kid
        alg, kid = verifier.alg, verifier.kid

        def public_jwk(self) -> dict[str, Any]:
            return verifier.public_jwk()

        def sign(self, data: bytes) -> bytes:
            return other.sign(data)

    with pytest.raises(RequestObjectInvalid) as e:
        _verify(_build(Impostor()), verifier)  # type: ignore[arg-type]
    assert _code(e) == "request_object_signature_invalid"


def test_tampered_payload_is_refused(verifier: SoftwareSigner) -> None:
    h, _, s = _build(verifier).split(".")
    forged = b64u_encode(json_dumps(_payload(response_uri="https://evil.example/cb")))
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(f"{h}.{forged}.{s}", verifier)
    assert _code(e) == "request_object_signature_invalid"


def test_a_key_in_the_header_is_never_used(verifier: SoftwareSigner) -> None:
    attacker = generate_signer(verifier.alg)
    jws = _sign(attacker, _payload(), jwk=attacker.public_jwk())
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(jws, verifier)
    assert _code(e) == "request_object_client_unknown"


def test_an_unregistered_client_is_refused(verifier: SoftwareSigner) -> None:
    jws = _sign(verifier, _payload(client_id="unknown-verifier"))
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(jws, verifier, client_id="unknown-verifier")
    assert _code(e) == "request_object_client_unknown"


@pytest.mark.parametrize("typ", [None, "JWT", "jwt", "oauth-authz-req+JWT", "dc+sd-jwt"])
def test_typ_must_be_exactly_oauth_authz_req_jwt(verifier: SoftwareSigner,
                                                 typ: str | None) -> None:
    header = {} if typ is None else {"typ": typ}
    jws = sign_compact(header, _payload(), verifier)
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(jws, verifier)
    assert _code(e) == "request_object_typ_invalid"


def test_alg_must_be_allowed(verifier: SoftwareSigner) -> None:
    only_other = ["EdDSA"] if verifier.alg == "ES256" else ["ES256"]
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(_build(verifier), verifier, algorithms=only_other)
    assert _code(e) == "request_object_alg_not_allowed"


def test_alg_must_be_the_keys_own(verifier: SoftwareSigner) -> None:
    other_alg = "EdDSA" if verifier.alg == "ES256" else "ES256"
    h = b64u_encode(json_dumps({"typ": "oauth-authz-req+jwt", "alg": other_alg,
                                "kid": verifier.kid}))
    p = b64u_encode(json_dumps(_payload()))
    sig = b64u_encode(verifier.sign(f"{h}.{p}".encode()))
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(f"{h}.{p}.{sig}", verifier)
    assert _code(e) == "request_object_alg_not_allowed"


def test_crit_is_refused(verifier: SoftwareSigner) -> None:
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(_sign(verifier, _payload(), crit=["x"], x=1), verifier)
    assert _code(e) == "request_object_invalid"


@pytest.mark.parametrize("text", ["", "a.b", "not a jws", "é.é.é", "x" * 70_000])
def test_garbage_is_request_object_invalid(verifier: SoftwareSigner, text: str) -> None:
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(text, verifier)
    assert _code(e) == "request_object_invalid"


def test_client_id_in_the_object_must_equal_the_url_client_id(verifier: SoftwareSigner) -> None:
    keys = StaticKeys({CLIENT_ID: {"keys": [verifier.public_jwk()]},
                       "other": {"keys": [verifier.public_jwk()]}})
    jws = _sign(verifier, _payload(client_id="other"))
    with pytest.raises(RequestObjectInvalid) as e:
        verify_request_object(jws, keys=keys, client_id=CLIENT_ID, now=NOW)
    assert _code(e) == "client_id_mismatch"
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(_sign(verifier, _payload(client_id=None)), verifier)
    assert _code(e) == "client_id_mismatch"


def test_expired_request_object_is_refused(verifier: SoftwareSigner) -> None:
    jws = _build(verifier, iat=NOW - 400, exp=NOW - 100)
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(jws, verifier)
    assert _code(e) == "request_object_expired"
    _verify(jws, verifier, now=NOW - 200)  # still valid earlier
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(_build(verifier, iat=NOW - 100, exp=NOW + 30), verifier, now=NOW + 90)
    assert _code(e) == "request_object_expired"  # the leeway (60 s) is all there is


def test_exp_is_required(verifier: SoftwareSigner) -> None:
    for exp in (None, "soon", True):
        with pytest.raises(RequestObjectInvalid) as e:
            _verify(_sign(verifier, _payload(exp=exp)), verifier)
        assert _code(e) == "request_object_invalid"


def test_iat_or_nbf_in_the_future_is_refused(verifier: SoftwareSigner) -> None:
    for over in ({"iat": NOW + 120}, {"nbf": NOW + 120}):
        with pytest.raises(RequestObjectInvalid) as e:
            _verify(_sign(verifier, _payload(**over)), verifier)
        assert _code(e) == "request_object_not_yet_valid"
    _verify(_sign(verifier, _payload(iat=NOW + 30)), verifier)  # within the leeway


def test_aud_when_present_is_self_issued(verifier: SoftwareSigner) -> None:
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(_sign(verifier, _payload(aud="https://wallet.example")), verifier)
    assert _code(e) == "request_object_invalid"
    _verify(_sign(verifier, _payload(aud=[SELF_ISSUED_AUD, "x"])), verifier)
    _verify(_sign(verifier, _payload(aud=None)), verifier)


@pytest.mark.parametrize("value", ["code", "vp_token id_token", None])
def test_response_type_must_be_vp_token(verifier: SoftwareSigner, value: str | None) -> None:
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(_sign(verifier, _payload(response_type=value)), verifier)
    assert _code(e) == "response_type_unsupported"


@pytest.mark.parametrize("value", ["fragment", "direct_post.jwt", "query", None])
def test_response_mode_must_be_direct_post(verifier: SoftwareSigner, value: str | None) -> None:
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(_sign(verifier, _payload(response_mode=value)), verifier)
    assert _code(e) == "response_mode_unsupported"


def test_redirect_uri_is_refused_with_direct_post(verifier: SoftwareSigner) -> None:
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(_sign(verifier, _payload(redirect_uri=RESPONSE_URI)), verifier)
    assert _code(e) == "request_object_invalid"


@pytest.mark.parametrize("uri", [
    "http://verifier.example/post", "http://10.0.0.1/post", "ftp://verifier.example/post",
    "javascript:alert(1)", "https://verifier.example/post#frag", "https:///post",
    "https://user@verifier.example/post", "https://verifier.example:99999/post", "/post",
    None, 42,
])
def test_response_uri_must_be_https_or_loopback(verifier: SoftwareSigner, uri: Any) -> None:
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(_sign(verifier, _payload(response_uri=uri)), verifier)
    assert _code(e) == "response_uri_invalid"


@pytest.mark.parametrize("uri", ["https://verifier.example/post", "http://127.0.0.1:8000/p",
                                 "http://localhost/p", "http://[::1]:8000/p"])
def test_response_uri_accepted(verifier: SoftwareSigner, uri: str) -> None:
    assert _verify(_sign(verifier, _payload(response_uri=uri)), verifier).response_uri == uri


@pytest.mark.parametrize("over", [
    {"nonce": None}, {"nonce": ""}, {"nonce": "a b"}, {"nonce": "ü"}, {"nonce": 7},
    {"state": "a&b"}, {"dcql_query": None}, {"dcql_query": {"credentials": []}},
    {"scope": "com.example.id"}, {"transaction_data": ["e30"]},
], ids=lambda o: repr(o))
def test_other_request_parameters_are_checked(verifier: SoftwareSigner,
                                              over: dict[str, Any]) -> None:
    with pytest.raises(RequestObjectInvalid) as e:
        _verify(_sign(verifier, _payload(**over)), verifier)
    assert _code(e) == "request_object_invalid"


@pytest.mark.parametrize("client_id", ["x509_san_dns:verifier.example",
                                       "redirect_uri:https://verifier.example/cb",
                                       "decentralized_identifier:did:example:123",
                                       "verifier_attestation:hotel", "origin:https://x"])
def test_client_identifier_prefixes_are_not_supported(verifier: SoftwareSigner,
                                                      client_id: str) -> None:
    jws = _sign(verifier, _payload(client_id=client_id))
    with pytest.raises(RequestObjectInvalid) as e:
        verify_request_object(jws, keys=_keys(verifier, client_id), client_id=client_id,
                              now=NOW)
    assert _code(e) == "client_id_prefix_unsupported"
    with pytest.raises(RequestObjectInvalid) as e:
        _build(verifier, client_id=client_id)
    assert _code(e) == "client_id_prefix_unsupported"


def test_build_refuses_what_verify_would_refuse(verifier: SoftwareSigner) -> None:
    for over, code in [({"response_uri": "http://verifier.example/p"}, "response_uri_invalid"),
                       ({"nonce": "a b"}, "request_object_invalid"),
                       ({"state": "a b"}, "request_object_invalid"),
                       ({"exp": NOW - 5}, "request_object_invalid"),
                       ({"dcql_query": {}}, "dcql_invalid")]:
        with pytest.raises(Exception) as e:
            _build(verifier, **over)
        assert _code(e) == code, over


# --- openid4vp:// authorization request URI ------------------------------------------


def test_authorization_request_uri_round_trip() -> None:
    uri = authorization_request_uri(client_id=CLIENT_ID, request_uri=REQUEST_URI)
    assert uri.startswith("openid4vp://?client_id=http%3A%2F%2F127.0.0.1")
    assert "&request_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fverifier" in uri
    assert parse_authorization_request_uri(uri) == AuthorizationRequestUri(
        client_id=CLIENT_ID, request_uri=REQUEST_URI, request_uri_method="get")


def test_parse_accepts_a_universal_link_and_request_uri_method_post() -> None:
    text = ("https://wallet.example/oid4vp?client_id=hotel&request_uri="
            "https%3A%2F%2Fverifier.example%2Fr%2F1&request_uri_method=post")
    assert parse_authorization_request_uri(text) == AuthorizationRequestUri(
        client_id="hotel", request_uri="https://verifier.example/r/1",
        request_uri_method="post")


@pytest.mark.parametrize(("text", "code"), [
    ("openid4vp://?request_uri=https%3A%2F%2Fv.example%2Fr", "authorization_request_invalid"),
    ("openid4vp://?client_id=hotel", "authorization_request_invalid"),
    ("openid4vp://?client_id=hotel&client_id=cafe&request_uri=https%3A%2F%2Fv.example%2Fr",
     "authorization_request_invalid"),
    ("openid4vp://?client_id=hotel&request_uri=http%3A%2F%2Fv.example%2Fr",
     "authorization_request_invalid"),
    ("openid4vp://?client_id=hotel&request_uri=https%3A%2F%2Fv.example%2Fr&request=eyJ",
     "authorization_request_invalid"),
    ("openid4vp://?client_id=hotel&request_uri=https%3A%2F%2Fv.example%2Fr"
     "&request_uri_method=put", "authorization_request_invalid"),
    ("openid4vp://?client_id=hotel&response_type=vp_token&dcql_query=%7B%7D",
     "authorization_request_invalid"),
    ("openid4vp://?client_id=x509_san_dns%3Av.example&request_uri=https%3A%2F%2Fv.example%2Fr",
     "client_id_prefix_unsupported"),
    ("ELV1:ABC", "authorization_request_invalid"),
    ("openid4vp://?client_id=a\nb&request_uri=x", "authorization_request_invalid"),
])
def test_parse_authorization_request_uri_refusals(text: str, code: str) -> None:
    with pytest.raises(Exception) as e:
        parse_authorization_request_uri(text)
    assert _code(e) == code


def test_authorization_request_uri_refuses_a_plain_http_request_uri() -> None:
    with pytest.raises(Exception) as e:
        authorization_request_uri(client_id="hotel", request_uri="http://v.example/r")
    assert _code(e) == "authorization_request_invalid"
