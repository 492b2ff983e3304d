"""Interoperability with the IETF SD-JWT reference implementation (PyPI ``sd-jwt``,
openwallet-foundation-labs/sd-jwt-python, 0.10.x): what ``core.credential`` makes, it
verifies; what it makes, we verify — and each difference between the two verifiers that
matters, shown side by side (docs/interop.md says who is right, with the RFC 9901 section).

The reference holder stamps the KB-JWT ``iat`` with the wall clock (no parameter), so
tests that verify its presentations use ``now = time.time()``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from core.credential import StaticKeys, issue, present, verify
from core.credential._common import digest
from core.errors import (
    ClaimNameExists,
    CredentialExpired,
    CredentialNotYetValid,
    DigestDuplicated,
    DisclosureUnreferenced,
    KbIatOutOfWindow,
    KeyBindingUnexpected,
    MalformedError,
    ReservedClaimName,
    SignatureError,
    TypInvalid,
)
from core.jose import b64u_encode, json_dumps, sign_compact
from keys.software import SoftwareSigner, generate_signer

ISS = "https://city.example/issuer"
VCT = "https://city.example/issuer/vct/id_card"
NOW = 1_790_000_000
AUD = "http://127.0.0.1:8000/verifier/orgs/hotel"
NONCE = "n-4f1c0b7e"
CLAIMS = {"name": "张三", "document_number": "110101199001021234", "sex": "M",
          "birthdate": "1990-01-02", "address": {"street": "人民路 1 号", "city": "上海"},
          "nationalities": ["CN", "HK"], "age_over_18": True, "agency": "psb"}
SD = ["name", "document_number", "sex", "birthdate", "address", "address.street",
      "nationalities.1", "age_over_18"]
DISCLOSE = ["name", "address.street", "nationalities.1", "age_over_18"]


def _jwk(signer: SoftwareSigner) -> JWK:
    return JWK.from_json(json.dumps(signer.private_jwk()))


def _keys(issuer: SoftwareSigner) -> StaticKeys:
    return StaticKeys({ISS: {"keys": [issuer.public_jwk()]}})


@pytest.fixture(params=["ES256", "EdDSA"])
def issuer(request: pytest.FixtureRequest) -> SoftwareSigner:
    return generate_signer(request.param)


@pytest.fixture(scope="module")
def holder() -> SoftwareSigner:
    return generate_signer("ES256")  # the reference verifier checks KB-JWTs as ES256 only


def _ours(issuer: SoftwareSigner, holder: SoftwareSigner, *, iat: int = NOW - 60,
          exp: int | None = NOW + 3600, nbf: int | None = None, decoys: int = 0,
          typ: str = "dc+sd-jwt") -> str:
    return issue(signer=issuer, iss=ISS, vct=VCT, claims=CLAIMS, sd=SD,
                 holder_jwk=holder.public_jwk(), iat=iat, exp=exp, nbf=nbf, decoys=decoys,
                 typ=typ)


def _ref_verify(presentation: str, issuer: SoftwareSigner, *, aud: str | None = None,
                nonce: str | None = None) -> dict[str, Any]:
    """The reference verifier with the issuer key chosen by us (its callback gets the
    unverified iss and header; trusting a key from that header would be the caller's bug)."""
    def issuer_key(iss: str, header: dict[str, Any]) -> JWK:
        assert iss == ISS
        return JWK.from_json(json.dumps(issuer.public_jwk()))

    payload: dict[str, Any] = SDJWTVerifier(presentation, issuer_key, aud,
                                            nonce).get_verified_payload()
    return payload


def _ref_issue(issuer: SoftwareSigner, holder: SoftwareSigner | None, claims: dict[Any, Any],
               *, typ: str | None = "dc+sd-jwt", decoys: bool = False) -> str:
    header = {"kid": issuer.kid} | ({"typ": typ} if typ else {})
    return SDJWTIssuer(claims, _jwk(issuer), holder_key=_jwk(holder) if holder else None,
                       sign_alg=issuer.alg, add_decoy_claims=decoys,
                       extra_header_parameters=header).sd_jwt_issuance


def _ref_vc_claims(now: int) -> dict[Any, Any]:
    return {"iss": ISS, "vct": VCT, "iat": now - 60, "exp": now + 3600, "agency": "psb",
            SDObj("name"): "张三", SDObj("document_number"): "110101199001021234",
            SDObj("address"): {SDObj("street"): "人民路 1 号", "city": "上海"},
            "nationalities": ["CN", SDObj("HK")], SDObj("age_over_18"): True}


def _ref_present(sd_jwt: str, disclose: dict[str, Any], holder: SoftwareSigner | None = None,
                 *, aud: str = AUD, nonce: str = NONCE, sign_alg: str | None = None) -> str:
    h = SDJWTHolder(sd_jwt)
    if holder is None:
        h.create_presentation(disclose)
    else:
        h.create_presentation(disclose, nonce=nonce, aud=aud, holder_key=_jwk(holder),
                              sign_alg=sign_alg or holder.alg)
    return str(h.sd_jwt_presentation)


REF_DISCLOSE = {"name": True, "address": {"street": True}, "nationalities": [None, True],
                "age_over_18": True}


# --- ours → reference -----------------------------------------------------------------


def test_our_presentation_with_key_binding_verifies_with_the_reference(
        issuer: SoftwareSigner, holder: SoftwareSigner) -> None:
    p = present(_ours(issuer, holder, decoys=3), disclose=DISCLOSE, holder=holder,
                nonce=NONCE, aud=AUD, iat=NOW)
    theirs = _ref_verify(p, issuer, aud=AUD, nonce=NONCE)
    mine = verify(p, keys=_keys(issuer), key_binding=True, now=NOW, nonce=NONCE, aud=AUD)
    assert theirs == mine.claims
    assert theirs["address"] == {"street": "人民路 1 号", "city": "上海"}
    assert theirs["nationalities"] == ["CN", "HK"]
    assert "sex" not in theirs and "birthdate" not in theirs


def test_our_sd_jwt_without_key_binding_verifies_with_the_reference(
        issuer: SoftwareSigner, holder: SoftwareSigner) -> None:
    p = present(_ours(issuer, holder), disclose=["name"])
    mine = verify(p, keys=_keys(issuer), key_binding=False, now=NOW)
    assert _ref_verify(p, issuer) == mine.claims
    assert mine.claims["nationalities"] == ["CN"]  # undisclosed array element: gone


def test_the_reference_checks_our_sd_hash_nonce_and_aud(issuer: SoftwareSigner,
                                                        holder: SoftwareSigner) -> None:
    p = present(_ours(issuer, holder), disclose=["name", "sex"], holder=holder, nonce=NONCE,
                aud=AUD, iat=NOW)
    with pytest.raises(ValueError, match="audience"):
        _ref_verify(p, issuer, aud="urn:other", nonce=NONCE)
    with pytest.raises(ValueError, match="nonce"):
        _ref_verify(p, issuer, aud=AUD, nonce="other")
    jwt, *disclosures, kb = p.split("~")
    dropped = "~".join([jwt, disclosures[0], kb])  # one disclosure removed after signing
    with pytest.raises(ValueError, match="digest"):
        _ref_verify(dropped, issuer, aud=AUD, nonce=NONCE)


# --- reference → ours -----------------------------------------------------------------


@pytest.mark.parametrize("decoys", [False, True])
def test_reference_sd_jwt_vc_with_key_binding_verifies_here(
        issuer: SoftwareSigner, holder: SoftwareSigner, decoys: bool) -> None:
    now = int(time.time())
    sd_jwt = _ref_issue(issuer, holder, _ref_vc_claims(now), decoys=decoys)
    p = _ref_present(sd_jwt, REF_DISCLOSE, holder)
    v = verify(p, keys=_keys(issuer), key_binding=True, now=now, nonce=NONCE, aud=AUD)
    assert v.claims["name"] == "张三" and v.claims["age_over_18"] is True
    assert v.claims["address"] == {"street": "人民路 1 号", "city": "上海"}
    assert v.claims["nationalities"] == ["CN", "HK"]
    assert "document_number" not in v.claims
    assert v.vct == VCT and v.key_binding is not None
    assert v.claims == _ref_verify(p, issuer, aud=AUD, nonce=NONCE)


def test_reference_default_typ_verifies_with_the_typ_option(issuer: SoftwareSigner) -> None:
    """sd-jwt defaults to ``typ: example+sd-jwt`` and has no notion of SD-JWT VC: verified
    as a plain RFC 9901 SD-JWT with ``typ=`` (no ``vct`` needed), never as dc+sd-jwt."""
    claims = {"iss": ISS, "iat": NOW - 60, SDObj("given_name"): "John",
              SDObj("nationalities"): ["US", SDObj("DE")]}
    sd_jwt = SDJWTIssuer(claims, _jwk(issuer), sign_alg=issuer.alg).sd_jwt_issuance
    p = _ref_present(sd_jwt, {"given_name": True, "nationalities": [None, True]})
    v = verify(p, keys=_keys(issuer), key_binding=False, now=NOW, typ="example+sd-jwt")
    assert v.claims == {"iss": ISS, "iat": NOW - 60, "given_name": "John",
                        "nationalities": ["US", "DE"]}
    with pytest.raises(TypInvalid):
        verify(p, keys=_keys(issuer), key_binding=False, now=NOW)  # not an SD-JWT VC


def test_reference_sd_jwt_without_kid_verifies_when_the_issuer_has_one_key(
        issuer: SoftwareSigner) -> None:
    claims = {"iss": ISS, "vct": VCT, "iat": NOW - 60, SDObj("name"): "A"}
    sd_jwt = SDJWTIssuer(claims, _jwk(issuer), sign_alg=issuer.alg,
                         extra_header_parameters={"typ": "dc+sd-jwt"}).sd_jwt_issuance
    v = verify(_ref_present(sd_jwt, {"name": True}), keys=_keys(issuer), key_binding=False,
               now=NOW)
    assert v.claims["name"] == "A"


def test_reference_json_serialization_is_not_accepted(issuer: SoftwareSigner) -> None:
    """RFC 9901 §8 JWS JSON serialization is optional; we accept the compact form only."""
    claims = {"iss": ISS, "vct": VCT, "iat": NOW - 60, SDObj("name"): "A"}
    sd_jwt = SDJWTIssuer(claims, _jwk(issuer), sign_alg=issuer.alg,
                         serialization_format="json",
                         extra_header_parameters={"typ": "dc+sd-jwt"}).sd_jwt_issuance
    with pytest.raises(MalformedError):
        verify(sd_jwt, keys=_keys(issuer), key_binding=False, now=NOW)


# --- differences that matter: each shown on both verifiers ------------------------------


def test_unreferenced_disclosure_reference_accepts_we_refuse(
        issuer: SoftwareSigner, holder: SoftwareSigner) -> None:
    """RFC 9901 §7.1 step 5: a disclosure no digest refers to MUST make the SD-JWT invalid."""
    p = present(_ours(issuer, holder), disclose=["name"])
    stray = b64u_encode(json_dumps(["c2FsdHNhbHRzYWx0c2FsdA", "role", "admin"]))
    padded = p + stray + "~"
    payload = _ref_verify(padded, issuer)
    assert "role" not in payload  # silently ignored
    with pytest.raises(DisclosureUnreferenced) as e:
        verify(padded, keys=_keys(issuer), key_binding=False, now=NOW)
    assert e.value.code == "disclosure_unreferenced"


def test_expired_credential_reference_accepts_we_refuse(issuer: SoftwareSigner,
                                                        holder: SoftwareSigner) -> None:
    """RFC 9901 §7.1 step 6 / SD-JWT VC: exp is checked (the reference has a TODO)."""
    p = present(_ours(issuer, holder, iat=NOW - 7200, exp=NOW - 3600), disclose=["name"])
    assert _ref_verify(p, issuer)["name"] == "张三"
    with pytest.raises(CredentialExpired):
        verify(p, keys=_keys(issuer), key_binding=False, now=NOW)


def test_not_yet_valid_credential_reference_accepts_we_refuse(issuer: SoftwareSigner,
                                                              holder: SoftwareSigner) -> None:
    p = present(_ours(issuer, holder, nbf=NOW + 3600), disclose=["name"])
    assert _ref_verify(p, issuer)["name"] == "张三"
    with pytest.raises(CredentialNotYetValid):
        verify(p, keys=_keys(issuer), key_binding=False, now=NOW)


def test_issuer_jwt_typ_reference_ignores_we_check(issuer: SoftwareSigner,
                                                   holder: SoftwareSigner) -> None:
    """SD-JWT VC §2.2.1: typ MUST be dc+sd-jwt; RFC 9901 §9.11 explicit typing."""
    p = present(_ours(issuer, holder, typ="JWT"), disclose=["name"])
    assert _ref_verify(p, issuer)["name"] == "张三"
    with pytest.raises(TypInvalid):
        verify(p, keys=_keys(issuer), key_binding=False, now=NOW)


def test_stale_key_binding_reference_accepts_we_refuse(issuer: SoftwareSigner,
                                                       holder: SoftwareSigner) -> None:
    """RFC 9901 §7.3 step 5: the KB-JWT iat must be within an acceptable window."""
    p = present(_ours(issuer, holder, iat=NOW - 90 * 86400), disclose=["name"], holder=holder,
                nonce=NONCE, aud=AUD, iat=NOW - 30 * 86400)
    assert _ref_verify(p, issuer, aud=AUD, nonce=NONCE)["name"] == "张三"
    with pytest.raises(KbIatOutOfWindow):
        verify(p, keys=_keys(issuer), key_binding=True, now=NOW, nonce=NONCE, aud=AUD)


def test_key_binding_skipped_without_expectations_reference_accepts_a_forged_kb_jwt(
        issuer: SoftwareSigner, holder: SoftwareSigner) -> None:
    """The reference checks the KB-JWT only when given aud and nonce: otherwise even a
    KB-JWT with a broken signature passes. RFC 9901 §7.3: the verifier decides whether key
    binding is required *before* looking at the input — our ``key_binding`` argument."""
    p = present(_ours(issuer, holder), disclose=["name"], holder=holder, nonce=NONCE,
                aud=AUD, iat=NOW)
    forged = p[: p.rindex(".") + 1] + b64u_encode(b"\0" * 64)
    assert _ref_verify(forged, issuer)["name"] == "张三"
    with pytest.raises(KeyBindingUnexpected):
        verify(forged, keys=_keys(issuer), key_binding=False, now=NOW)
    with pytest.raises(SignatureError):
        verify(forged, keys=_keys(issuer), key_binding=True, now=NOW, nonce=NONCE, aud=AUD)


def test_eddsa_key_binding_reference_refuses_we_accept(issuer: SoftwareSigner) -> None:
    """The reference verifier checks every KB-JWT as ES256 (``DEFAULT_SIGNING_ALG``), even
    its own EdDSA ones; RFC 9901 §4.3 lets the holder key's algorithm decide."""
    eddsa_holder = generate_signer("EdDSA")
    now = int(time.time())
    p = _ref_present(_ref_issue(issuer, eddsa_holder, _ref_vc_claims(now)), REF_DISCLOSE,
                     eddsa_holder)
    with pytest.raises(Exception, match="alg"):
        _ref_verify(p, issuer, aud=AUD, nonce=NONCE)
    v = verify(p, keys=_keys(issuer), key_binding=True, now=now, nonce=NONCE, aud=AUD)
    assert v.claims["name"] == "张三"


def test_reserved_claim_name_in_a_disclosure_reference_accepts_we_refuse(
        issuer: SoftwareSigner) -> None:
    """RFC 9901 §7.1 step 3.2.2.2: a disclosure named ``_sd`` (or ``...``) MUST be refused;
    the reference issuer even produces one from ``SDObj("_sd")``."""
    sd_jwt = _ref_issue(issuer, None, {"iss": ISS, "vct": VCT, "iat": NOW - 60,
                                       SDObj("_sd"): ["injected"]})
    p = _ref_present(sd_jwt, {"_sd": True})
    assert _ref_verify(p, issuer)["_sd"] == ["injected"]
    with pytest.raises(ReservedClaimName):
        verify(p, keys=_keys(issuer), key_binding=False, now=NOW)


def test_sd_jwt_vc_protected_claims_disclosable_reference_accepts_we_refuse(
        issuer: SoftwareSigner) -> None:
    """SD-JWT VC §2.2.2.3: iss, exp, vct, cnf, status… MUST NOT be selectively disclosed.
    The reference knows plain RFC 9901 only."""
    sd_jwt = _ref_issue(issuer, None, {"iss": ISS, "vct": VCT, "iat": NOW - 60,
                                       SDObj("exp"): NOW + 3600, SDObj("name"): "A"})
    p = _ref_present(sd_jwt, {"exp": True, "name": True})
    assert _ref_verify(p, issuer)["exp"] == NOW + 3600
    with pytest.raises(ReservedClaimName):
        verify(p, keys=_keys(issuer), key_binding=False, now=NOW)


# --- agreements worth pinning: both refuse ----------------------------------------------


def test_same_disclosure_twice_both_refuse(issuer: SoftwareSigner,
                                           holder: SoftwareSigner) -> None:
    p = present(_ours(issuer, holder), disclose=["name"])
    jwt, d, _ = p.split("~")
    twice = f"{jwt}~{d}~{d}~"
    with pytest.raises(ValueError, match="Duplicate"):
        _ref_verify(twice, issuer)
    with pytest.raises(DigestDuplicated):
        verify(twice, keys=_keys(issuer), key_binding=False, now=NOW)


def test_disclosed_name_clashing_with_a_plain_claim_both_refuse(issuer: SoftwareSigner) -> None:
    sd_jwt = _ref_issue(issuer, None, {"iss": ISS, "vct": VCT, "iat": NOW - 60, "name": "A",
                                       SDObj("name"): "B"})
    p = _ref_present(sd_jwt, {"name": True})
    with pytest.raises(ValueError, match="Duplicate key"):
        _ref_verify(p, issuer)
    with pytest.raises(ClaimNameExists):
        verify(p, keys=_keys(issuer), key_binding=False, now=NOW)


def test_tampered_issuer_signature_both_refuse(issuer: SoftwareSigner,
                                               holder: SoftwareSigner) -> None:
    p = present(_ours(issuer, holder), disclose=["name"])
    jwt, rest = p.split("~", 1)
    h, body, _ = jwt.split(".")
    bad = f"{h}.{body}.{b64u_encode(bytes(64))}~{rest}"
    with pytest.raises(Exception, match="Verification failed"):
        _ref_verify(bad, issuer)
    with pytest.raises(SignatureError):
        verify(bad, keys=_keys(issuer), key_binding=False, now=NOW)


def _crafted(issuer: SoftwareSigner, payload: dict[str, Any], disclosures: list[list[Any]]
             ) -> str:
    """An SD-JWT signed by ``issuer`` whose payload refers to ``disclosures`` as given
    (``{"_sd": "#0"}`` style placeholders are replaced by the i-th disclosure's digest)."""
    encoded = [b64u_encode(json_dumps(d)) for d in disclosures]
    text = json.dumps(payload)
    for i, e in enumerate(encoded):
        text = text.replace(f"#{i}", digest(e))
    jwt = sign_compact({"typ": "dc+sd-jwt"}, json.loads(text), issuer)
    return jwt + "~" + "".join(e + "~" for e in encoded)


SALT = "c2FsdHNhbHRzYWx0c2FsdA"
BASE = {"iss": ISS, "vct": VCT, "iat": NOW - 60}


@pytest.mark.parametrize(("payload", "disclosures", "code"), [
    ({**BASE, "_sd": ["#0"]}, [[SALT, "...", "x"]], "reserved_claim_name"),   # §7.1 3.3.2.2
    ({**BASE, "_sd": ["#0"]}, [[SALT, 5, "x"]], "invalid_disclosure"),        # §4.2.1 name
    ({**BASE, "_sd": ["#0"]}, [[5, "name", "x"]], "invalid_disclosure"),      # §4.2.1 salt
    ({**BASE, "_sd": [5]}, [], "malformed"),                                  # §4.1 item 7
], ids=["name ...", "non-string name", "non-string salt", "non-string digest"])
def test_malformed_disclosures_reference_accepts_we_refuse(
        issuer: SoftwareSigner, payload: dict[str, Any], disclosures: list[list[Any]],
        code: str) -> None:
    p = _crafted(issuer, payload, disclosures)
    _ref_verify(p, issuer)  # accepted
    with pytest.raises(Exception) as e:
        verify(p, keys=_keys(issuer), key_binding=False, now=NOW)
    assert getattr(e.value, "code", None) == code


@pytest.mark.parametrize(("payload", "disclosures", "code"), [
    ({**BASE, "_sd": ["#0"]}, [[SALT, "x"]], "invalid_disclosure"),          # §7.1 3.3.2.1
    ({**BASE, "a": [{"...": "#0"}]}, [[SALT, "n", "x"]], "invalid_disclosure"),  # 3.3.3.1
    ({**BASE, "_sd": ["#0", "#0"]}, [[SALT, "n", "x"]], "digest_duplicated"),  # §7.1 step 4
    ({**BASE, "_sd_alg": "sha-1", "_sd": ["#0"]}, [[SALT, "n", "x"]], "sd_alg_unsupported"),
], ids=["2 elements in _sd", "3 elements in array", "digest twice", "sd_alg sha-1"])
def test_malformed_structures_both_refuse(issuer: SoftwareSigner, payload: dict[str, Any],
                                          disclosures: list[list[Any]], code: str) -> None:
    p = _crafted(issuer, payload, disclosures)
    with pytest.raises(ValueError):
        _ref_verify(p, issuer)
    with pytest.raises(Exception) as e:
        verify(p, keys=_keys(issuer), key_binding=False, now=NOW)
    assert getattr(e.value, "code", None) == code


def test_legacy_vc_sd_jwt_typ_is_refused_by_default(issuer: SoftwareSigner) -> None:
    """SD-JWT VC -18 §2.2.1: ``vc+sd-jwt`` (used until November 2024) "should be accepted
    for a reasonable transitional period". Our choice (docs/interop.md): refused by default,
    since no issuer we trust writes it; ``typ="vc+sd-jwt"`` reads it as a plain SD-JWT."""
    sd_jwt = _ref_issue(issuer, None, {"iss": ISS, "vct": VCT, "iat": NOW - 60,
                                       SDObj("name"): "A"}, typ="vc+sd-jwt")
    p = _ref_present(sd_jwt, {"name": True})
    with pytest.raises(TypInvalid):
        verify(p, keys=_keys(issuer), key_binding=False, now=NOW)
    assert verify(p, keys=_keys(issuer), key_binding=False, now=NOW,
                  typ="vc+sd-jwt").claims["name"] == "A"
