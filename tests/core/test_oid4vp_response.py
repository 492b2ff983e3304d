"""core.oid4vp Authorization Response over direct_post (OpenID4VP 1.0 §8.1, §8.2, §8.5,
§8.6) and the whole verifier-initiated flow with real credentials, keys and signatures."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from core.credential import StaticKeys, issue, present
from core.errors import KbAudMismatch, NonceMismatch
from core.oid4vp import (
    authorization_request_uri,
    build_dcql_query,
    build_request_object,
    build_vp_token,
    check_dcql_within_policy,
    direct_post_form,
    error_response_form,
    match_dcql,
    parse_authorization_request_uri,
    parse_direct_post,
    verify_request_object,
    verify_vp_token,
)
from core.oid4vp.errors import (
    AccessDenied,
    AuthorizationResponseInvalid,
    DcqlClaimNotAllowed,
    DcqlInvalid,
    VpTokenInvalid,
    WalletErrorResponse,
)
from keys.software import SoftwareSigner, generate_signer

NOW = 1_790_000_000
ISS = "http://127.0.0.1:8000/issuer"
VCT = f"{ISS}/vct/id_card"
CLIENT_ID = "http://127.0.0.1:8000/verifier/orgs/cafe"
RESPONSE_URI = "http://127.0.0.1:8000/verifier/v1/oid4vp/response"
REQUEST_URI = "http://127.0.0.1:8000/verifier/v1/oid4vp/request/r1"
NONCE, STATE = "nonce-4f1c0b7e", "state-0a9c3e"
CLAIMS = {"name": "张三", "document_number": "110101199001021234", "birthdate": "1990-01-02",
          "address": "人民路 1 号", "age_over_18": True, "age_over_60": False, "agency": "psb"}
SD = ["name", "document_number", "birthdate", "address", "age_over_18", "age_over_60"]
CAFE_ALLOWED = ["name", "document_number", "age_over_18"]
QUERY = build_dcql_query(credential_id="id_card", vcts=[VCT], claims=CAFE_ALLOWED)


@pytest.fixture(scope="module")
def parties() -> dict[str, SoftwareSigner]:
    return {"issuer": generate_signer("ES256"), "holder": generate_signer("ES256"),
            "verifier": generate_signer("EdDSA")}


@pytest.fixture(scope="module")
def sd_jwt(parties: dict[str, SoftwareSigner]) -> str:
    return issue(signer=parties["issuer"], iss=ISS, vct=VCT, claims=CLAIMS, sd=SD,
                 holder_jwk=parties["holder"].public_jwk(), iat=NOW - 100, exp=NOW + 86400)


def _issuer_keys(p: dict[str, SoftwareSigner]) -> StaticKeys:
    return StaticKeys({ISS: {"keys": [p["issuer"].public_jwk()]}})


def _present(p: dict[str, SoftwareSigner], sd_jwt: str, *, disclose: list[str] = CAFE_ALLOWED,
             nonce: str = NONCE, aud: str = CLIENT_ID) -> str:
    return present(sd_jwt, disclose=disclose, holder=p["holder"], nonce=nonce, aud=aud, iat=NOW)


def _verify(p: dict[str, SoftwareSigner], token: Any, query: dict[str, Any] = QUERY,
            **kw: Any) -> Any:
    args: dict[str, Any] = dict(dcql_query=query, keys=_issuer_keys(p), nonce=NONCE,
                                client_id=CLIENT_ID, now=NOW)
    args.update(kw)
    return verify_vp_token(token, **args)


def test_the_whole_flow(parties: dict[str, SoftwareSigner], sd_jwt: str) -> None:
    # verifier: query, signed request object, QR
    ro = build_request_object(signer=parties["verifier"], client_id=CLIENT_ID,
                              response_uri=RESPONSE_URI, nonce=NONCE, state=STATE,
                              dcql_query=QUERY, iat=NOW, exp=NOW + 300)
    qr = authorization_request_uri(client_id=CLIENT_ID, request_uri=REQUEST_URI)
    # wallet: scan, fetch (here: ro), verify with its registry of verifiers, policy, match
    link = parse_authorization_request_uri(qr)
    registry = StaticKeys({CLIENT_ID: {"keys": [parties["verifier"].public_jwk()]}})
    req = verify_request_object(ro, keys=registry, client_id=link.client_id, now=NOW + 2)
    check_dcql_within_policy(req.dcql_query, CAFE_ALLOWED)
    disclose = match_dcql(req.dcql_query, vct=VCT, available_claims=set(CLAIMS) | {"vct"})
    presentation = present(sd_jwt, disclose=disclose, holder=parties["holder"],
                           nonce=req.nonce, aud=req.client_id, iat=NOW + 3)
    form = direct_post_form(build_vp_token("id_card", presentation), req.state)
    # verifier: response_uri
    token, state = parse_direct_post(form)
    assert state == STATE and isinstance(token, dict)
    result = _verify(parties, token, now=NOW + 4)
    v = result["id_card"]
    assert v.claims["name"] == "张三" and v.claims["age_over_18"] is True
    assert "birthdate" not in v.claims and "address" not in v.claims
    assert v.key_binding is not None and v.key_binding["aud"] == CLIENT_ID
    assert v.key_binding["nonce"] == NONCE


def test_build_vp_token_is_the_1_0_array_shape() -> None:
    assert build_vp_token("id_card", "eyJ.x.y~d~kb") == {"id_card": ["eyJ.x.y~d~kb"]}
    with pytest.raises(DcqlInvalid):
        build_vp_token("id card", "x")


def test_direct_post_form_and_back() -> None:
    form = direct_post_form({"id_card": ["a~b~c"]}, STATE)
    assert form == {"vp_token": '{"id_card":["a~b~c"]}', "state": STATE}
    assert parse_direct_post(form) == ({"id_card": ["a~b~c"]}, STATE)
    assert parse_direct_post(direct_post_form({"id_card": ["a~"]}, None)) == (
        {"id_card": ["a~"]}, None)


def test_access_denied_when_the_citizen_refuses() -> None:
    form = error_response_form(error="access_denied", description="declined", state=STATE)
    err, state = parse_direct_post(form)
    assert state == STATE
    assert isinstance(err, AccessDenied)
    assert err.code == "access_denied" and err.status == 403
    assert (err.error, err.error_description, err.state) == ("access_denied", "declined", STATE)
    assert err.to_problem()["error"] == "access_denied"


def test_another_wallet_error_is_a_wallet_error() -> None:
    err, state = parse_direct_post({"error": "invalid_request",
                                    "error_description": "unsupported client_id_prefix"})
    assert state is None
    assert type(err) is WalletErrorResponse and err.code == "wallet_error"
    assert err.error == "invalid_request"


@pytest.mark.parametrize("form", [
    {}, {"state": STATE}, {"vp_token": ""}, {"vp_token": "not json"}, {"vp_token": "[]"},
    {"vp_token": "{}"}, {"vp_token": '"a~b"'},
    {"vp_token": '{"id_card": "a~b~"}'},           # pre-1.0 shape: a string, not an array
    {"vp_token": '{"id_card": []}'}, {"vp_token": '{"id_card": [1]}'},
    {"vp_token": '{"id card": ["a~"]}'},
    {"vp_token": '{"id_card": ["a~"]}', "error": "access_denied"},
    {"response": "eyJhbGciOiJFQ0RILUVTIn0..x.y.z"},
    {"error": ""}, {"error": "access_denied", "error_description": "bad \" quote"},
    {"error": "ошибка"}, {"vp_token": '{"id_card": ["a~"]}', "state": "s" * 600},
], ids=repr)
def test_unusable_forms_are_authorization_response_invalid(form: dict[str, str]) -> None:
    with pytest.raises(AuthorizationResponseInvalid) as e:
        parse_direct_post(form)
    assert e.value.code == "authorization_response_invalid"


def test_wrong_nonce_is_refused(parties: dict[str, SoftwareSigner], sd_jwt: str) -> None:
    token = build_vp_token("id_card", _present(parties, sd_jwt, nonce="another-nonce"))
    with pytest.raises(NonceMismatch) as e:
        _verify(parties, token)
    assert e.value.code == "nonce_mismatch"


def test_wrong_aud_is_refused(parties: dict[str, SoftwareSigner], sd_jwt: str) -> None:
    """A presentation made for another verifier (its client_id) is not accepted here."""
    for aud in ("http://127.0.0.1:8000/verifier/orgs/hotel", "urn:elicense:offline:cafe",
                "x509_san_dns:127.0.0.1"):
        token = build_vp_token("id_card", _present(parties, sd_jwt, aud=aud))
        with pytest.raises(KbAudMismatch) as e:
            _verify(parties, token)
        assert e.value.code == "aud_mismatch"


def test_missing_credential_is_refused(parties: dict[str, SoftwareSigner], sd_jwt: str) -> None:
    with pytest.raises(VpTokenInvalid) as e:
        _verify(parties, {"other": [_present(parties, sd_jwt)]})
    assert e.value.code == "vp_token_invalid"  # an id that was not asked for
    two = {"credentials": [*QUERY["credentials"],
                           {**QUERY["credentials"][0], "id": "second"}]}
    with pytest.raises(VpTokenInvalid) as e:
        _verify(parties, {"id_card": [_present(parties, sd_jwt)]}, query=two)
    assert e.value.code == "vp_token_credential_missing"


def test_several_presentations_without_multiple_are_refused(
        parties: dict[str, SoftwareSigner], sd_jwt: str) -> None:
    p = _present(parties, sd_jwt)
    with pytest.raises(VpTokenInvalid) as e:
        _verify(parties, {"id_card": [p, p]})
    assert e.value.code == "vp_token_invalid"


def test_wrong_type_is_refused(parties: dict[str, SoftwareSigner], sd_jwt: str) -> None:
    q = build_dcql_query(credential_id="id_card", vcts=[f"{ISS}/vct/passport"],
                         claims=CAFE_ALLOWED)
    with pytest.raises(VpTokenInvalid) as e:
        _verify(parties, build_vp_token("id_card", _present(parties, sd_jwt)), query=q)
    assert e.value.code == "vp_token_vct_mismatch"


def test_missing_claims_are_refused(parties: dict[str, SoftwareSigner], sd_jwt: str) -> None:
    token = build_vp_token("id_card", _present(parties, sd_jwt, disclose=["name"]))
    with pytest.raises(VpTokenInvalid) as e:
        _verify(parties, token)
    assert e.value.code == "vp_token_claims_missing"


def test_claims_beyond_the_query_are_refused(parties: dict[str, SoftwareSigner],
                                             sd_jwt: str) -> None:
    token = build_vp_token("id_card", _present(parties, sd_jwt,
                                               disclose=[*CAFE_ALLOWED, "birthdate"]))
    with pytest.raises(VpTokenInvalid) as e:
        _verify(parties, token)
    assert e.value.code == "vp_token_claims_unrequested"
    assert e.value.extra["claims"] == ["birthdate"]


def test_claims_beyond_the_scenario_are_refused_whatever_the_query(
        parties: dict[str, SoftwareSigner], sd_jwt: str) -> None:
    q = build_dcql_query(credential_id="id_card", vcts=[VCT], claims=[*CAFE_ALLOWED, "address"])
    token = build_vp_token("id_card", _present(parties, sd_jwt,
                                               disclose=[*CAFE_ALLOWED, "address"]))
    assert _verify(parties, token, query=q)["id_card"].claims["address"]
    with pytest.raises(VpTokenInvalid) as e:
        _verify(parties, token, query=q, allowed_claims=CAFE_ALLOWED)
    assert e.value.code == "vp_token_claims_unrequested"


def test_a_claim_set_option_is_enough(parties: dict[str, SoftwareSigner], sd_jwt: str) -> None:
    q = {"credentials": [{"id": "id_card", "format": "dc+sd-jwt", "meta": {"vct_values": [VCT]},
                          "claims": [{"id": "a", "path": ["age_over_18"]},
                                     {"id": "b", "path": ["birthdate"]}],
                          "claim_sets": [["a"], ["b"]]}]}
    token = build_vp_token("id_card", _present(parties, sd_jwt, disclose=["birthdate"]))
    assert _verify(parties, token, query=q)["id_card"].claims["birthdate"] == "1990-01-02"


def test_credential_sets_are_not_supported(parties: dict[str, SoftwareSigner],
                                           sd_jwt: str) -> None:
    q = {**QUERY, "credential_sets": [{"options": [["id_card"]]}]}
    with pytest.raises(DcqlInvalid):
        _verify(parties, build_vp_token("id_card", _present(parties, sd_jwt)), query=q)


def test_the_wallet_refuses_a_query_beyond_the_scenario() -> None:
    """The verifier asks the café scenario for the birthdate: the wallet refuses before it
    shows anything, and answers access_denied."""
    q = build_dcql_query(credential_id="id_card", vcts=[VCT], claims=["name", "birthdate"])
    with pytest.raises(DcqlClaimNotAllowed):
        check_dcql_within_policy(q, CAFE_ALLOWED)
    err, _ = parse_direct_post(error_response_form(state=STATE))
    assert isinstance(err, AccessDenied)


def test_vp_token_json_is_compact_ascii_safe() -> None:
    form = direct_post_form({"id_card": ["a~b"]}, None)
    assert orjson.loads(form["vp_token"]) == {"id_card": ["a~b"]}
