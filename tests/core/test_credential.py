"""core.credential: the public surface, issue/present/verify round trips (RFC 9901 §4,
§7; SD-JWT VC profile). Refusals, one per MUST, are in test_credential_negative.py."""

from __future__ import annotations

import dataclasses
import json

import pytest

import core.credential as credential
from core.credential import StaticKeys, Verified, issue, present, verify
from core.credential._common import Sd, digest
from core.credential._issue import issue_structured, mark_sd
from core.errors import BadRequest, UnknownKey
from core.jose import b64u_decode
from keys.software import generate_signer

ISS = "https://city.example/issuer"
VCT = "https://city.example/issuer/vct/id_card"
NOW = 1_790_000_000
CLAIMS = {
    "name": "张三", "sex": "M", "birthdate": "1990-01-02",
    "address": {"street": "人民路 1 号", "city": "Shanghai"},
    "nationalities": ["CN", "HK"], "agency": "psb",
}
SD_PATHS = ["name", "sex", "birthdate", "address", "address.street", "nationalities.1"]


def _payload(token: str) -> dict:
    return json.loads(b64u_decode(token.split("~")[0].split(".")[1]))


@pytest.fixture(params=["ES256", "EdDSA"])
def alg(request: pytest.FixtureRequest) -> str:
    return request.param


def test_public_surface() -> None:
    assert credential.__all__ == ["KeyLookup", "Limits", "StaticKeys", "Verified", "issue",
                                  "present", "verify"]
    for name in credential.__all__:
        assert getattr(credential, name) is not None


def test_round_trip_with_key_binding(alg: str) -> None:
    issuer, holder = generate_signer(alg), generate_signer(alg)
    sd_jwt = issue(signer=issuer, iss=ISS, vct=VCT, claims=CLAIMS, sd=SD_PATHS,
                   holder_jwk=holder.public_jwk(), iat=NOW - 10, exp=NOW + 3600,
                   status={"status_list": {"idx": 7, "uri": "https://x/sl/1"}}, decoys=3)
    p = present(sd_jwt, disclose=["name", "address.street", "nationalities.1"],
                holder=holder, nonce="n-1", aud="urn:aud", iat=NOW)
    v = verify(p, keys=StaticKeys({ISS: {"keys": [issuer.public_jwk()]}}), key_binding=True,
               now=NOW, nonce="n-1", aud="urn:aud")
    assert isinstance(v, Verified)
    assert v.claims["name"] == "张三"
    assert v.claims["address"] == {"street": "人民路 1 号", "city": "Shanghai"}
    assert v.claims["nationalities"] == ["CN", "HK"]
    assert "sex" not in v.claims and "birthdate" not in v.claims
    assert "_sd" not in json.dumps(v.claims) and "_sd_alg" not in v.claims
    assert v.disclosed == {"name", "address", "address.street", "nationalities.1"}
    assert v.issuer == ISS and v.vct == VCT
    assert v.holder_jwk == {k: holder.public_jwk()[k] for k in v.holder_jwk}
    assert v.status == {"status_list": {"idx": 7, "uri": "https://x/sl/1"}}
    assert v.header["typ"] == "dc+sd-jwt" and v.header["kid"] == issuer.kid
    assert v.key_binding is not None and v.key_binding["aud"] == "urn:aud"
    assert v.digest == digest(p[: p.rindex(".")])  # up to the KB-JWT signature
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.issuer = "x"  # type: ignore[misc]


def test_without_key_binding_all_disclosed(alg: str) -> None:
    issuer, holder = generate_signer(alg), generate_signer("EdDSA")
    sd_jwt = issue(signer=issuer, iss=ISS, vct=VCT, claims=CLAIMS, sd=SD_PATHS,
                   holder_jwk=holder.public_jwk(), iat=NOW)
    v = verify(sd_jwt, keys=StaticKeys({ISS: {"keys": [issuer.public_jwk()]}}),
               key_binding=False, now=NOW)
    assert {k: v.claims[k] for k in CLAIMS} == CLAIMS
    assert v.key_binding is None


def test_issue_shape() -> None:
    issuer, holder = generate_signer("ES256"), generate_signer("ES256")
    sd_jwt = issue(signer=issuer, iss=ISS, vct=VCT, claims=CLAIMS, sd=SD_PATHS,
                   holder_jwk=holder.public_jwk(), iat=NOW, decoys=4)
    _, *disclosures, last = sd_jwt.split("~")
    assert last == ""
    payload = _payload(sd_jwt)
    assert payload["_sd_alg"] == "sha-256"
    assert payload["_sd"] == sorted(payload["_sd"])
    assert len(payload["_sd"]) == 4 + 4  # name sex birthdate address + 4 decoys
    assert set(payload["cnf"]["jwk"]) == {"kty", "crv", "x", "y"}
    assert {"iss", "iat", "vct", "cnf", "agency", "nationalities"} <= set(payload)
    assert len(disclosures) == 6
    for text in disclosures:
        content = json.loads(b64u_decode(text))
        assert len(b64u_decode(content[0])) == 16  # 128-bit salts
    salts = {json.loads(b64u_decode(t))[0] for t in disclosures}
    assert len(salts) == 6


def test_issue_refuses_protected_claims() -> None:
    issuer, holder = generate_signer("EdDSA"), generate_signer("EdDSA")
    common = dict(signer=issuer, iss=ISS, vct=VCT, holder_jwk=holder.public_jwk(), iat=NOW)
    with pytest.raises(BadRequest):
        issue(claims={"name": "a"}, sd=["exp"], **common)  # type: ignore[arg-type]
    with pytest.raises(BadRequest):
        issue(claims={"name": "a", "vct": "x"}, sd=[], **common)  # type: ignore[arg-type]
    with pytest.raises(BadRequest):
        issue(claims={"name": "a"}, sd=[], **{**common, "holder_jwk": holder.private_jwk()})  # type: ignore[arg-type]
    with pytest.raises(BadRequest):
        issue_structured(signer=issuer, payload={Sd("_sd"): 1})


def test_no_sd_claims_means_no_sd_members() -> None:
    issuer, holder = generate_signer("EdDSA"), generate_signer("EdDSA")
    sd_jwt = issue(signer=issuer, iss=ISS, vct=VCT, claims={"agency": "psb"}, sd=["missing"],
                   holder_jwk=holder.public_jwk(), iat=NOW)
    assert sd_jwt.endswith("~") and sd_jwt.count("~") == 1
    assert "_sd" not in _payload(sd_jwt) and "_sd_alg" not in _payload(sd_jwt)


def test_mark_sd_paths() -> None:
    marked = mark_sd({"a": {"b": [1, {"c": 2}]}, "d": 3}, ["a", "a.b.1.c", "a.b.0", "x.y"])
    assert marked == {Sd("a"): {"b": [Sd(1), {Sd("c"): 2}]}, "d": 3}


def test_present_selects_parents_and_children() -> None:
    issuer, holder = generate_signer("EdDSA"), generate_signer("EdDSA")
    sd_jwt = issue(signer=issuer, iss=ISS, vct=VCT, claims=CLAIMS, sd=SD_PATHS,
                   holder_jwk=holder.public_jwk(), iat=NOW)
    keys = StaticKeys({ISS: {"keys": [issuer.public_jwk()]}})
    child = verify(present(sd_jwt, disclose=["address.street"]), keys=keys,
                   key_binding=False, now=NOW)
    assert child.disclosed == {"address", "address.street"}
    parent = verify(present(sd_jwt, disclose=["address"]), keys=keys, key_binding=False, now=NOW)
    assert parent.disclosed == {"address", "address.street"}
    none = present(sd_jwt, disclose=[])
    assert none == sd_jwt.split("~")[0] + "~"
    assert "address" not in verify(none, keys=keys, key_binding=False, now=NOW).claims
    with pytest.raises(BadRequest):
        present(none + "x.y.z", disclose=[])
    with pytest.raises(BadRequest):
        present(sd_jwt, disclose=["name"], holder=holder)  # KB needs nonce and aud


def test_disclosure_order_does_not_matter() -> None:
    issuer, holder = generate_signer("ES256"), generate_signer("ES256")
    sd_jwt = issue(signer=issuer, iss=ISS, vct=VCT, claims=CLAIMS, sd=SD_PATHS,
                   holder_jwk=holder.public_jwk(), iat=NOW)
    jwt, *disclosures, _ = sd_jwt.split("~")
    reordered = jwt + "~" + "".join(d + "~" for d in reversed(disclosures))
    keys = StaticKeys({ISS: {"keys": [issuer.public_jwk()]}})
    assert (verify(reordered, keys=keys, key_binding=False, now=NOW).claims
            == verify(sd_jwt, keys=keys, key_binding=False, now=NOW).claims)


def test_static_keys() -> None:
    a, b = generate_signer("ES256"), generate_signer("EdDSA")
    keys = StaticKeys({ISS: {"keys": [a.public_jwk(), {**b.public_jwk(), "kid": "k2"}]}})
    assert keys.lookup(ISS, a.kid).alg == "ES256"
    assert keys.lookup(ISS, "k2").alg == "EdDSA"
    assert keys.lookup(ISS, b.kid).alg == "EdDSA"  # thumbprint always works
    for iss, kid in [(ISS, None), (ISS, "nope"), ("https://other", a.kid)]:
        with pytest.raises(UnknownKey) as err:
            keys.lookup(iss, kid)
        assert err.value.code == "unknown_key"
    single = StaticKeys({ISS: [a.public_jwk()]})
    assert single.lookup(ISS, None).kid == a.kid


def test_verify_needs_nonce_and_aud_for_key_binding() -> None:
    with pytest.raises(ValueError):
        verify("x~", keys=StaticKeys({}), key_binding=True, now=NOW)


def test_present_refuses_what_it_cannot_parse() -> None:
    from core.errors import ELicenseError
    from core.jose import b64u_encode, json_dumps

    issuer = generate_signer("EdDSA")
    deep: object = "x"
    for _ in range(200):
        deep = {"a": deep}
    h = b64u_encode(json_dumps({"alg": "EdDSA", "typ": "dc+sd-jwt"}))
    p = b64u_encode(json_dumps({"iss": ISS, "deep": deep}))
    token = f"{h}.{p}.{b64u_encode(issuer.sign(f'{h}.{p}'.encode()))}~"
    for bad in (token, "x~", "a.b.c~", f"{h}.{p}.AA~!!~", f"{h}.{p}.AA~{b64u_encode(b'{}')}~"):
        with pytest.raises(ELicenseError):
            present(bad, disclose=["a"])


def test_pyjwt_reads_our_jwts(alg: str) -> None:
    """A second implementation (pyjwt) accepts the issuer JWT and the KB-JWT we produce."""
    import jwt as pyjwt
    from jwt.algorithms import ECAlgorithm, OKPAlgorithm

    issuer, holder = generate_signer(alg), generate_signer(alg)
    sd_jwt = issue(signer=issuer, iss=ISS, vct=VCT, claims=CLAIMS, sd=SD_PATHS,
                   holder_jwk=holder.public_jwk(), iat=NOW)
    p = present(sd_jwt, disclose=["name"], holder=holder, nonce="n", aud="urn:a", iat=NOW)
    algo = ECAlgorithm if alg == "ES256" else OKPAlgorithm
    issuer_key = algo.from_jwk(json.dumps(issuer.public_jwk()))
    holder_key = algo.from_jwk(json.dumps(holder.public_jwk()))
    body = pyjwt.decode(p.split("~")[0], issuer_key, algorithms=[alg],
                        options={"verify_iat": False})
    assert body["iss"] == ISS and body["_sd_alg"] == "sha-256"
    assert pyjwt.get_unverified_header(p.split("~")[0])["typ"] == "dc+sd-jwt"
    kb = pyjwt.decode(p.rsplit("~", 1)[1], holder_key, algorithms=[alg], audience="urn:a",
                      options={"verify_iat": False})
    assert kb["nonce"] == "n" and kb["sd_hash"] == digest(p[: p.rindex("~") + 1])


def test_replay_digest_survives_ecdsa_malleability() -> None:
    from core.jose import b64u_encode

    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256 order
    issuer, holder = generate_signer("ES256"), generate_signer("ES256")
    sd_jwt = issue(signer=issuer, iss=ISS, vct=VCT, claims=CLAIMS, sd=SD_PATHS,
                   holder_jwk=holder.public_jwk(), iat=NOW)
    p = present(sd_jwt, disclose=["name"], holder=holder, nonce="n", aud="a", iat=NOW)
    head, sig = p.rsplit(".", 1)
    raw = b64u_decode(sig)
    flipped = raw[:32] + (n - int.from_bytes(raw[32:], "big")).to_bytes(32, "big")
    twin = head + "." + b64u_encode(flipped)
    assert twin != p
    keys = StaticKeys({ISS: {"keys": [issuer.public_jwk()]}})
    a = verify(p, keys=keys, key_binding=True, now=NOW, nonce="n", aud="a")
    b = verify(twin, keys=keys, key_binding=True, now=NOW, nonce="n", aud="a")
    assert a.digest == b.digest
    # No KB-JWT: the whole presentation, with the issuer signature in its low-s form, so
    # that both ECDSA forms of it share one digest (and the test holds for either form).
    jwt, rest = sd_jwt.split("~", 1)
    jwt_head, jwt_sig = jwt.rsplit(".", 1)
    s_int = int.from_bytes(b64u_decode(jwt_sig)[32:], "big")
    low = b64u_decode(jwt_sig)[:32] + min(s_int, n - s_int).to_bytes(32, "big")
    high = b64u_decode(jwt_sig)[:32] + max(s_int, n - s_int).to_bytes(32, "big")
    canonical = f"{jwt_head}.{b64u_encode(low)}~{rest}"
    for form in (low, high):
        token = f"{jwt_head}.{b64u_encode(form)}~{rest}"
        assert verify(token, keys=keys, key_binding=False, now=NOW).digest == digest(canonical)
