"""One refusal per MUST of RFC 9901 §7.1 / §7.3 and the SD-JWT VC profile, each asserting
its stable ``code``. Tokens are forged by hand here (real keys, real signatures) so that
each test breaks exactly one rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.credential import StaticKeys, verify
from core.credential._common import digest
from core.errors import ELicenseError
from core.jose import b64u_encode, json_dumps
from core.signing import Signer
from keys.software import generate_signer

ISS = "https://city.example/issuer"
VCT = "https://city.example/issuer/vct/id_card"
NOW = 1_790_000_000
NONCE, AUD = "nonce-123", "https://verifier.example/verifier/orgs/1"
ISSUER = generate_signer("ES256")
HOLDER = generate_signer("EdDSA")
KEYS = StaticKeys({ISS: {"keys": [ISSUER.public_jwk()]}})


def jws(header: dict[str, Any], payload: dict[str, Any], signer: Signer) -> str:
    """Sign exactly this header (no alg/kid added) over exactly this payload."""
    si = b64u_encode(json_dumps(header)) + "." + b64u_encode(json_dumps(payload))
    return si + "." + b64u_encode(signer.sign(si.encode()))


def disc(*content: Any) -> str:
    return b64u_encode(json.dumps(list(content)).encode())


def hdr(**extra: Any) -> dict[str, Any]:
    return {"alg": ISSUER.alg, "kid": ISSUER.kid, "typ": "dc+sd-jwt", **extra}


def body(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"iss": ISS, "iat": NOW - 100, "exp": NOW + 3600, "vct": VCT,
                            "cnf": {"jwk": HOLDER.public_jwk()}, "_sd_alg": "sha-256"}
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def sd_jwt(disclosures: list[str], header: dict[str, Any] | None = None,
           signer: Signer = ISSUER, **payload: Any) -> str:
    return jws(header or hdr(), body(**payload), signer) + "~" + "".join(
        d + "~" for d in disclosures)


def kb(presented: str, *, holder: Signer = HOLDER, header: dict[str, Any] | None = None,
       **claims: Any) -> str:
    payload = {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": digest(presented), **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    return presented + jws(header or {"alg": holder.alg, "typ": "kb+jwt"}, payload, holder)


def code_of(presentation: Any, *, key_binding: bool = False, **kw: Any) -> str:
    kw.setdefault("now", NOW)
    if key_binding:
        kw.setdefault("nonce", NONCE)
        kw.setdefault("aud", AUD)
    kw.setdefault("keys", KEYS)
    with pytest.raises(ELicenseError) as err:
        verify(presentation, key_binding=key_binding, **kw)
    return err.value.code


def ok(presentation: str, *, key_binding: bool = False, **kw: Any) -> dict[str, Any]:
    kw.setdefault("now", NOW)
    if key_binding:
        kw.setdefault("nonce", NONCE)
        kw.setdefault("aud", AUD)
    return verify(presentation, keys=kw.pop("keys", KEYS), key_binding=key_binding,
                  **kw).claims


NAME = disc("salt-name-0123456789", "name", "Ana")


def test_baseline_forgery_verifies() -> None:
    assert ok(sd_jwt([NAME], _sd=[digest(NAME)]))["name"] == "Ana"
    p = kb(sd_jwt([NAME], _sd=[digest(NAME)]))
    assert ok(p, key_binding=True)["name"] == "Ana"


# --- unparsable input: malformed, never a raw exception ---------------------------

@pytest.mark.parametrize("text", [
    "", "~", "~~", "abc", "a.b.c~", "....~", "a.b~", "é~", "\x00~",
    "eyJ9.eyJ9.AA~", jws(hdr(), body(), ISSUER),  # no '~' at all
    b64u_encode(b"[]") + "." + b64u_encode(b"{}") + ".AA~",  # header not an object
])
def test_unparsable_is_malformed(text: str) -> None:
    assert code_of(text) == "malformed"


@pytest.mark.parametrize("char", ["+", "/", "=", ".", " ", "\n", "!", "é"])
def test_foreign_characters_anywhere_are_malformed(char: str) -> None:
    token = kb(sd_jwt([NAME], _sd=[digest(NAME)]))
    jwt, disclosure, kb_jwt = token.split("~")
    for i in (5, len(jwt) // 2, len(jwt) - 5):  # header, payload, signature
        assert code_of(jwt[:i] + char + jwt[i:] + "~" + disclosure + "~" + kb_jwt,
                       key_binding=True) == "malformed"
    assert code_of(jwt + "~" + disclosure[:9] + char + disclosure[9:] + "~" + kb_jwt,
                   key_binding=True) == "malformed"
    assert code_of(jwt + "~" + disclosure + "~" + kb_jwt[:9] + char + kb_jwt[9:],
                   key_binding=True) == "malformed"


def test_non_string_is_malformed() -> None:
    assert code_of(b"abc~") == "malformed"
    assert code_of(None) == "malformed"


@pytest.mark.parametrize("bad", ["!!!", b64u_encode(b"not json"), "", "A"])
def test_disclosure_not_base64url_json_is_malformed(bad: str) -> None:
    assert code_of(sd_jwt([bad], _sd=[digest(bad)])) == "malformed"


@pytest.mark.parametrize("content", [
    {"a": 1}, [], ["only-salt"], ["s", "n", "v", "extra"], [1, "name", "v"], "str",
])
def test_disclosure_not_array_of_2_or_3_is_invalid(content: Any) -> None:
    d = b64u_encode(json.dumps(content).encode())
    assert code_of(sd_jwt([d], _sd=[digest(d)])) == "invalid_disclosure"


def test_two_element_disclosure_in_sd_and_three_in_array_are_invalid() -> None:
    two = disc("salt", "Ana")
    assert code_of(sd_jwt([two], _sd=[digest(two)])) == "invalid_disclosure"
    assert code_of(sd_jwt([NAME], nat=[{"...": digest(NAME)}])) == "invalid_disclosure"
    numeric_name = disc("salt", 42, "v")
    assert code_of(sd_jwt([numeric_name], _sd=[digest(numeric_name)])) == "invalid_disclosure"


# --- Issuer-signed JWT header and key ----------------------------------------------

@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "ES384", None, 1])
def test_alg_not_allowed(alg: Any) -> None:
    assert code_of(sd_jwt([], header=hdr(alg=alg))) == "algorithm_not_allowed"


def test_alg_outside_the_allow_list() -> None:
    token = sd_jwt([])
    assert ok(token)
    assert code_of(token, algorithms=("EdDSA",)) == "algorithm_not_allowed"
    assert code_of(token, algorithms=("HS256", "none")) == "algorithm_not_allowed"


def test_header_alg_must_match_the_key() -> None:
    assert code_of(sd_jwt([], header=hdr(alg="EdDSA"))) == "algorithm_not_allowed"


def test_hmac_with_public_key_as_secret_is_refused() -> None:
    # pyjwt CVE-2022-29217 style: alg HS256, "secret" = the issuer's public key
    import hashlib
    import hmac

    h = b64u_encode(json_dumps(hdr(alg="HS256")))
    p = b64u_encode(json_dumps(body()))
    mac = hmac.new(json.dumps(ISSUER.public_jwk()).encode(), f"{h}.{p}".encode(),
                   hashlib.sha256).digest()
    assert code_of(f"{h}.{p}.{b64u_encode(mac)}~") == "algorithm_not_allowed"


def test_unsigned_token_is_refused() -> None:
    h = b64u_encode(json_dumps({"alg": "none", "typ": "dc+sd-jwt"}))
    p = b64u_encode(json_dumps(body()))
    assert code_of(f"{h}.{p}.~") == "algorithm_not_allowed"


def test_key_in_header_is_never_used() -> None:
    attacker = generate_signer("ES256")
    for member in ({"jwk": attacker.public_jwk()}, {"jku": "https://evil/jwks"},
                   {"x5u": "https://evil/x5u"}, {"x5c": ["MIIB"]}):
        # signed by the attacker, claiming the issuer's kid: the trusted key fails it
        token = sd_jwt([], header=hdr(**member), signer=attacker)
        assert code_of(token) == "invalid_signature"
        # signed by the attacker with its own kid: no such trusted key
        token = sd_jwt([], header=hdr(kid=attacker.kid, **member), signer=attacker)
        assert code_of(token) == "unknown_key"


def test_unknown_issuer_and_kid() -> None:
    assert code_of(sd_jwt([], iss="https://other.example")) == "unknown_key"
    assert code_of(sd_jwt([], header=hdr(kid="nope"))) == "unknown_key"
    assert code_of(sd_jwt([], header=hdr(kid=7))) == "malformed"


def test_iss_missing() -> None:
    assert code_of(sd_jwt([], iss=None)) == "invalid_claims"


def test_bad_signature() -> None:
    token = sd_jwt([])
    jwt = token[:-1]
    h, p, s = jwt.split(".")
    flipped = s[:10] + ("A" if s[10] != "A" else "B") + s[11:]
    assert code_of(f"{h}.{p}.{flipped}~") == "invalid_signature"
    other = sd_jwt([], signer=generate_signer("ES256"))
    assert code_of(other) == "invalid_signature"
    assert code_of(f"{h}.{p}.AAAA~") == "invalid_signature"


def test_crit_unsupported() -> None:
    assert code_of(sd_jwt([], header=hdr(crit=["exp"], exp=1))) == "crit_unsupported"
    p = kb(sd_jwt([]), header={"alg": HOLDER.alg, "typ": "kb+jwt", "crit": ["x"], "x": 1})
    assert code_of(p, key_binding=True) == "crit_unsupported"


@pytest.mark.parametrize("typ", [None, "JWT", "vc+sd-jwt", "example+sd-jwt", "kb+jwt"])
def test_typ_must_be_dc_sd_jwt(typ: Any) -> None:
    assert code_of(sd_jwt([], header=hdr(typ=typ))) == "typ_invalid"


def test_typ_argument_selects_the_expected_type() -> None:
    token = sd_jwt([], header=hdr(typ="example+sd-jwt"), vct=None)
    assert ok(token, typ="example+sd-jwt")["iss"] == ISS
    assert code_of(token) == "typ_invalid"


def test_vct_required_for_dc_sd_jwt() -> None:
    assert code_of(sd_jwt([], vct=None)) == "vct_missing"
    assert code_of(sd_jwt([], vct=5)) == "vct_missing"


@pytest.mark.parametrize("alg", ["sha-512", "SHA-256", "md5", 1])
def test_sd_alg_other_than_sha256(alg: Any) -> None:
    assert code_of(sd_jwt([], _sd_alg=alg)) == "sd_alg_unsupported"


def test_sd_alg_nested_is_malformed() -> None:
    assert code_of(sd_jwt([], address={"_sd_alg": "sha-256"})) == "malformed"


# --- digests and disclosures (§7.1 step 3-5) ----------------------------------------

def test_duplicate_digest_in_payload() -> None:
    assert code_of(sd_jwt([NAME], _sd=[digest(NAME), digest(NAME)])) == "digest_duplicated"
    decoy = digest("decoy")
    assert code_of(sd_jwt([], _sd=[decoy], a={"_sd": [decoy]})) == "digest_duplicated"
    assert code_of(sd_jwt([], a=[{"...": decoy}, {"...": decoy}])) == "digest_duplicated"


def test_duplicate_digest_via_a_disclosure() -> None:
    inner = disc("s1", "street", "x")
    outer = disc("s2", "address", {"_sd": [digest(inner)]})
    assert ok(sd_jwt([outer, inner], _sd=[digest(outer)]))["address"] == {"street": "x"}
    token = sd_jwt([outer, inner], _sd=[digest(outer), digest(inner)])
    assert code_of(token) == "digest_duplicated"


def test_same_disclosure_sent_twice() -> None:
    assert code_of(sd_jwt([NAME, NAME], _sd=[digest(NAME)])) == "digest_duplicated"


def test_unreferenced_disclosure() -> None:
    assert code_of(sd_jwt([NAME])) == "disclosure_unreferenced"
    inner = disc("s1", "street", "x")
    outer = disc("s2", "address", {"_sd": [digest(inner)]})
    # the child without its parent is not referenced by anything presented
    assert code_of(sd_jwt([inner], _sd=[digest(outer)])) == "disclosure_unreferenced"


@pytest.mark.parametrize("name", ["_sd", "...", "_sd_alg"])
def test_reserved_claim_name_in_disclosure(name: str) -> None:
    d = disc("salt", name, ["x"])
    assert code_of(sd_jwt([d], _sd=[digest(d)], _sd_alg=None)) == "reserved_claim_name"
    assert code_of(sd_jwt([d], a={"_sd": [digest(d)]})) == "reserved_claim_name"


def test_dots_key_outside_array_element() -> None:
    assert code_of(sd_jwt([], address={"...": "x", "b": 1})) == "reserved_claim_name"


def test_sd_must_be_an_array_of_strings() -> None:
    assert code_of(sd_jwt([], _sd="abc")) == "malformed"
    assert code_of(sd_jwt([], _sd={"a": "b"})) == "malformed"
    assert code_of(sd_jwt([], address={"_sd": None})) == "malformed"
    assert code_of(sd_jwt([], _sd=[1])) == "malformed"
    assert code_of(sd_jwt([], a=[{"...": 1}])) == "malformed"


@pytest.mark.parametrize("name", ["iss", "exp", "nbf", "vct", "cnf", "status"])
def test_never_disclosable_claims(name: str) -> None:
    d = disc("salt", name, "x")
    # the plain claim is removed (iss stays: it is needed to find the key)
    plain = {} if name == "iss" else {name: None}
    assert code_of(sd_jwt([d], _sd=[digest(d)], **plain)) == "reserved_claim_name"


def test_never_disclosable_sub_claims() -> None:
    d = disc("salt", "kid", "x")
    token = sd_jwt([d], cnf={"jwk": HOLDER.public_jwk(), "_sd": [digest(d)]})
    assert code_of(token) == "reserved_claim_name"
    e = disc("salt", {"idx": 1})
    token = sd_jwt([e], status={"status_list": [{"...": digest(e)}]})
    assert code_of(token) == "reserved_claim_name"


def test_iat_and_sub_may_be_disclosed() -> None:
    d = disc("salt", "iat", NOW - 5)
    assert ok(sd_jwt([d], _sd=[digest(d)], iat=None))["iat"] == NOW - 5


def test_disclosed_exp_is_still_enforced_outside_the_vc_profile() -> None:
    d = disc("salt", "exp", NOW - 1000)
    token = sd_jwt([d], header=hdr(typ="example+sd-jwt"), _sd=[digest(d)], exp=None)
    assert code_of(token, typ="example+sd-jwt") == "credential_expired"


def test_disclosed_name_already_exists() -> None:
    assert code_of(sd_jwt([NAME], _sd=[digest(NAME)], name="Bob")) == "claim_name_exists"
    other = disc("salt-2", "name", "Eve")
    token = sd_jwt([NAME, other], _sd=[digest(NAME), digest(other)])
    assert code_of(token) == "claim_name_exists"


def test_nesting_depth_is_bounded() -> None:
    deep: Any = "x"
    for _ in range(200):
        deep = {"a": deep}
    assert code_of(sd_jwt([], deep=deep)) == "nesting_too_deep"


# --- time (§7.1 step 6) -------------------------------------------------------------

def test_exp_with_leeway() -> None:
    token = sd_jwt([], exp=NOW - 30)
    assert ok(token, leeway=60)
    assert code_of(token, leeway=0) == "credential_expired"
    assert code_of(token, leeway=30) == "credential_expired"


def test_nbf_with_leeway() -> None:
    token = sd_jwt([], nbf=NOW + 30)
    assert ok(token, leeway=60)
    assert code_of(token, leeway=10) == "credential_not_yet_valid"


def test_iat_in_future() -> None:
    token = sd_jwt([], iat=NOW + 120)
    assert code_of(token, leeway=60) == "issued_in_future"
    assert ok(token, leeway=200)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["1", True, None, [1]])
def test_time_claims_must_be_numbers(claim: str, value: Any) -> None:
    payload = body()
    payload[claim] = value
    token = jws(hdr(), payload, ISSUER) + "~"
    assert code_of(token) == "invalid_claims"


# --- key binding (§7.3) ---------------------------------------------------------------

def test_key_binding_required_but_missing() -> None:
    assert code_of(sd_jwt([]), key_binding=True) == "key_binding_missing"


def test_key_binding_present_but_not_expected() -> None:
    assert code_of(kb(sd_jwt([])), key_binding=False) == "key_binding_unexpected"


def test_holder_key_missing() -> None:
    assert code_of(kb(sd_jwt([], cnf=None)), key_binding=True) == "holder_key_missing"
    assert code_of(kb(sd_jwt([], cnf={"kid": "x"})), key_binding=True) == "holder_key_missing"


@pytest.mark.parametrize("typ", [None, "JWT", "dc+sd-jwt"])
def test_kb_typ(typ: Any) -> None:
    p = kb(sd_jwt([]), header={"alg": HOLDER.alg, "typ": typ})
    assert code_of(p, key_binding=True) == "kb_typ_invalid"


@pytest.mark.parametrize("alg", ["none", "HS256", "ES256"])
def test_kb_alg_allowed_and_matching_cnf_key(alg: str) -> None:
    p = kb(sd_jwt([]), header={"alg": alg, "typ": "kb+jwt"})
    assert code_of(p, key_binding=True) == "algorithm_not_allowed"
    assert code_of(kb(sd_jwt([])), key_binding=True,
                   algorithms=("ES256",)) == "algorithm_not_allowed"


def test_kb_signed_by_another_key() -> None:
    p = kb(sd_jwt([]), holder=generate_signer("EdDSA"))
    assert code_of(p, key_binding=True) == "invalid_signature"


def test_kb_iat_window() -> None:
    presented = sd_jwt([])
    assert ok(kb(presented, iat=NOW + 50), key_binding=True, leeway=60)
    assert code_of(kb(presented, iat=NOW + 61), key_binding=True,
                   leeway=60) == "kb_iat_out_of_window"
    assert ok(kb(presented, iat=NOW - 300), key_binding=True, kb_max_age=300)
    assert code_of(kb(presented, iat=NOW - 301), key_binding=True,
                   kb_max_age=300) == "kb_iat_out_of_window"
    assert code_of(kb(presented, iat="x"), key_binding=True) == "key_binding_invalid"
    assert code_of(kb(presented, exp=NOW - 100), key_binding=True) == "kb_iat_out_of_window"


def test_nonce() -> None:
    presented = sd_jwt([])
    assert code_of(kb(presented, nonce="other"), key_binding=True) == "nonce_mismatch"
    assert code_of(kb(presented), key_binding=True, nonce="other") == "nonce_mismatch"
    assert code_of(kb(presented, nonce=123), key_binding=True) == "nonce_mismatch"


def test_aud() -> None:
    presented = sd_jwt([])
    assert code_of(kb(presented, aud="https://evil"), key_binding=True) == "aud_mismatch"
    assert code_of(kb(presented, aud=[AUD]), key_binding=True) == "aud_mismatch"
    assert code_of(kb(presented), key_binding=True, aud="https://other") == "aud_mismatch"


def test_sd_hash() -> None:
    presented = sd_jwt([NAME], _sd=[digest(NAME)])
    p = kb(presented)
    jwt, _, kb_jwt = p.split("~")
    assert ok(p, key_binding=True)["name"] == "Ana"
    # a disclosure dropped after the holder signed
    assert code_of(jwt + "~" + kb_jwt, key_binding=True) == "sd_hash_mismatch"
    assert code_of(kb(presented, sd_hash="x"), key_binding=True) == "sd_hash_mismatch"
    assert code_of(kb(presented, sd_hash=None), key_binding=True) == "sd_hash_mismatch"
