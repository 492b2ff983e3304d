"""OpenID4VP building blocks against second implementations: our Request Objects read by
jwcrypto and PyJWT, a Request Object made by jwcrypto (as another verifier would) accepted
by our wallet check, and the SD-JWT reference implementation acting as the wallet or the
verifier on the other side of a DCQL / ``direct_post`` exchange."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt as pyjwt
import pytest
from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from core.credential import StaticKeys, issue, present
from core.oid4vp import (
    SELF_ISSUED_AUD,
    build_dcql_query,
    build_request_object,
    build_vp_token,
    direct_post_form,
    match_dcql,
    parse_direct_post,
    verify_request_object,
    verify_vp_token,
)
from core.oid4vp.errors import RequestObjectInvalid
from keys.software import SoftwareSigner, generate_signer

ISS = "https://city.example/issuer"
VCT = f"{ISS}/vct/id_card"
CLIENT_ID = "https://city.example/verifier/orgs/cafe"
RESPONSE_URI = "https://city.example/verifier/v1/oid4vp/response"
NONCE, STATE = "Bq3QjBv1DvK1xUM1VQ2Wdg", "st-1c0f9d2e"
QUERY = build_dcql_query(credential_id="id_card", vcts=[VCT],
                         claims=["name", "document_number", "age_over_18"])


def _jwk(signer: SoftwareSigner) -> JWK:
    return JWK.from_json(json.dumps(signer.private_jwk()))


@pytest.fixture(params=["ES256", "EdDSA"])
def verifier(request: pytest.FixtureRequest) -> SoftwareSigner:
    return generate_signer(request.param)


def test_our_request_object_verifies_with_jwcrypto_and_pyjwt(verifier: SoftwareSigner) -> None:
    now = int(time.time())
    ro = build_request_object(signer=verifier, client_id=CLIENT_ID, response_uri=RESPONSE_URI,
                              nonce=NONCE, state=STATE, dcql_query=QUERY, iat=now,
                              exp=now + 300)
    jws = JWS()
    jws.deserialize(ro)
    jws.verify(JWK.from_json(json.dumps(verifier.public_jwk())), alg=verifier.alg)
    assert jws.jose_header["typ"] == "oauth-authz-req+jwt"
    claims = pyjwt.decode(ro, pyjwt.PyJWK(verifier.public_jwk()).key,
                          algorithms=[verifier.alg], audience=SELF_ISSUED_AUD)
    assert claims["dcql_query"] == QUERY and claims["client_id"] == CLIENT_ID
    assert pyjwt.get_unverified_header(ro)["kid"] == verifier.kid


def test_a_jwcrypto_request_object_passes_our_wallet_check(verifier: SoftwareSigner) -> None:
    """Another verifier's stack (jwcrypto, its own JSON encoding) producing an RFC 9101
    Request Object that our wallet accepts — and one without ``typ`` it refuses."""
    now = int(time.time())
    payload = {"client_id": CLIENT_ID, "response_type": "vp_token",
               "response_mode": "direct_post", "response_uri": RESPONSE_URI, "nonce": NONCE,
               "state": STATE, "dcql_query": QUERY, "iat": now, "exp": now + 120,
               "aud": SELF_ISSUED_AUD, "client_metadata": {"vp_formats_supported": {
                   "dc+sd-jwt": {"sd-jwt_alg_values": ["ES256", "Ed25519"]}}}}
    registry = StaticKeys({CLIENT_ID: {"keys": [verifier.public_jwk()]}})

    def sign(header: dict[str, Any]) -> str:
        jws = JWS(json.dumps(payload, indent=1))
        jws.add_signature(_jwk(verifier), alg=verifier.alg, protected=json.dumps(header))
        return str(jws.serialize(compact=True))

    good = sign({"alg": verifier.alg, "typ": "oauth-authz-req+jwt", "kid": verifier.kid})
    req = verify_request_object(good, keys=registry, client_id=CLIENT_ID, now=now)
    assert req.nonce == NONCE and req.dcql_query == QUERY
    assert req.claims["client_metadata"]["vp_formats_supported"]
    with pytest.raises(RequestObjectInvalid) as e:
        verify_request_object(sign({"alg": verifier.alg, "kid": verifier.kid}),
                              keys=registry, client_id=CLIENT_ID, now=now)
    assert e.value.code == "request_object_typ_invalid"


def test_our_wallet_answer_verifies_with_the_reference_verifier() -> None:
    issuer, holder = generate_signer("ES256"), generate_signer("ES256")
    now = int(time.time())
    sd_jwt = issue(signer=issuer, iss=ISS, vct=VCT,
                   claims={"name": "张三", "document_number": "1101", "birthdate": "1990-01-02",
                           "age_over_18": True},
                   sd=["name", "document_number", "birthdate", "age_over_18"],
                   holder_jwk=holder.public_jwk(), iat=now - 60, exp=now + 3600)
    disclose = match_dcql(QUERY, vct=VCT, available_claims={"name", "document_number",
                                                            "birthdate", "age_over_18"})
    p = present(sd_jwt, disclose=disclose, holder=holder, nonce=NONCE, aud=CLIENT_ID, iat=now)
    token, state = parse_direct_post(direct_post_form(build_vp_token("id_card", p), STATE))
    assert isinstance(token, dict) and state == STATE
    payload = SDJWTVerifier(token["id_card"][0],
                            lambda iss, hdr: JWK.from_json(json.dumps(issuer.public_jwk())),
                            CLIENT_ID, NONCE).get_verified_payload()
    assert payload["name"] == "张三" and "birthdate" not in payload


def test_a_reference_wallet_answer_passes_our_verifier() -> None:
    """A wallet built on the reference implementation, holding a credential from a
    reference issuer, answers our DCQL query: KB-JWT aud = our client_id, nonce = ours."""
    issuer, holder = generate_signer("ES256"), generate_signer("ES256")
    now = int(time.time())
    claims = {"iss": ISS, "vct": VCT, "iat": now - 60, "exp": now + 3600,
              SDObj("name"): "李四", SDObj("document_number"): "3301",
              SDObj("birthdate"): "1980-05-06", SDObj("age_over_18"): True}
    sd_jwt = SDJWTIssuer(claims, _jwk(issuer), holder_key=_jwk(holder), sign_alg="ES256",
                         add_decoy_claims=True,
                         extra_header_parameters={"typ": "dc+sd-jwt", "kid": issuer.kid}
                         ).sd_jwt_issuance
    h = SDJWTHolder(sd_jwt)
    h.create_presentation({"name": True, "document_number": True, "age_over_18": True},
                          nonce=NONCE, aud=CLIENT_ID, holder_key=_jwk(holder), sign_alg="ES256")
    form = {"vp_token": json.dumps({"id_card": [h.sd_jwt_presentation]}), "state": STATE}
    token, state = parse_direct_post(form)
    assert isinstance(token, dict) and state == STATE
    v = verify_vp_token(token, dcql_query=QUERY, keys=StaticKeys({ISS: {"keys": [
        issuer.public_jwk()]}}), nonce=NONCE, client_id=CLIENT_ID, now=now)["id_card"]
    assert v.claims["name"] == "李四" and "birthdate" not in v.claims
