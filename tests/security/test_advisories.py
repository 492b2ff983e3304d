"""Past JOSE / SD-JWT advisories pinned as regression tests (issue 7; pyjwt's habit), each
asserting the stable error code. docs/security.md maps threats to these tests.

Covered: ``alg: none``; HS256 keyed with the issuer's public key (CVE-2022-29217 family);
keys taken from the token header (``jwk``, ``jku``, ``x5u``, ``x5c``, an attacker ``kid``);
a stripped KB-JWT; unreferenced / duplicated / tampered disclosures; a status list signed by
another key; type confusion between credential, KB-JWT and status list tokens; the replay
digest under ECDSA (r, n-s) malleability; psychic signatures (CVE-2022-21449); JWKs with
points off the curve; a type A credential where type B is asked for.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.credential import StaticKeys
from core.credential._common import digest
from core.jose import b64u_decode, b64u_encode, json_dumps
from core.statuslist import StatusList, sign_status_list_token, verify_status_list_token
from keys.software import SoftwareSigner
from tests.security.forge import (
    ATTACKER,
    AUD,
    HOLDER,
    ISS,
    ISSUER,
    KEYS,
    NONCE,
    NOW,
    VCT_A,
    VCT_B,
    body,
    code_of,
    disc,
    hdr,
    jws,
    kb,
    referenced,
    run,
    sd_jwt,
    verify_code,
)

N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256 order
SUB = "https://city.example/issuer/status-lists/1"
NAME = disc("salt-salt-salt-1", "name", "Ana")


def status_token(signer: Any = ISSUER, header: dict[str, Any] | None = None, **claims: Any) -> str:
    payload = {"sub": SUB, "iss": ISS, "iat": NOW - 10,
               "status_list": StatusList(1, 16).encode(), **claims}
    return jws(header or {"alg": signer.alg, "kid": signer.kid, "typ": "statuslist+jwt"},
               payload, signer)


def status_code(token: str, **kw: Any) -> str:
    return code_of(lambda: verify_status_list_token(token, keys=KEYS, now=NOW, **kw))


def unsigned(header: dict[str, Any], payload: dict[str, Any], sig: bytes = b"") -> str:
    return (b64u_encode(json_dumps(header)) + "." + b64u_encode(json_dumps(payload)) + "."
            + b64u_encode(sig))


def hs256(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    si = b64u_encode(json_dumps(header)) + "." + b64u_encode(json_dumps(payload))
    return si + "." + b64u_encode(hmac.new(secret, si.encode(), hashlib.sha256).digest())


def with_signature(token: str, sig: bytes) -> str:
    return token[: token.rindex(".") + 1] + b64u_encode(sig)


def twin(sig: bytes) -> bytes:
    """The (r, n-s) twin of an ES256 signature: valid for the same key and input."""
    s = int.from_bytes(sig[32:], "big")
    return sig[:32] + (N - s).to_bytes(32, "big")


def public_secrets(signer: Any) -> list[bytes]:
    """Every form of a public key an HS256-confusion attacker would try as the secret."""
    jwk = signer.public_jwk()
    x, y = b64u_decode(jwk["x"]), b64u_decode(jwk["y"])
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    pem = key.public_bytes(serialization.Encoding.PEM,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return [pem, der, json.dumps(jwk).encode(), json_dumps(jwk), b"\x04" + x + y]


SECRET_FORMS = ["pem", "der", "jwk-json", "jwk-compact", "raw-point"]


# --- alg: none ------------------------------------------------------------------------

@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE", ""])
def test_alg_none_credential(alg: str) -> None:
    token = unsigned({"alg": alg, "typ": "dc+sd-jwt", "kid": ISSUER.kid}, body()) + "~"
    assert verify_code(token) == "algorithm_not_allowed"


def test_alg_none_kb_jwt() -> None:
    shown = sd_jwt([])
    payload = {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": digest(shown)}
    assert verify_code(shown + unsigned({"alg": "none", "typ": "kb+jwt"}, payload),
                       key_binding=True) == "algorithm_not_allowed"


def test_alg_none_status_list() -> None:
    token = unsigned({"alg": "none", "typ": "statuslist+jwt", "kid": ISSUER.kid},
                     {"sub": SUB, "iss": ISS, "iat": NOW, "status_list": StatusList(1, 8).encode()})
    assert status_code(token) == "algorithm_not_allowed"


# --- HS256 keyed with the public key (algorithm confusion) ----------------------------

@pytest.mark.parametrize("secret", public_secrets(ISSUER), ids=SECRET_FORMS)
def test_hs256_with_issuer_public_key_credential(secret: bytes) -> None:
    token = hs256({"alg": "HS256", "typ": "dc+sd-jwt", "kid": ISSUER.kid}, body(), secret)
    assert verify_code(token + "~") == "algorithm_not_allowed"
    # even if a caller lists HS256, the key's own algorithm decides
    assert verify_code(token + "~", algorithms=("HS256", "ES256")) == "algorithm_not_allowed"


@pytest.mark.parametrize("secret", public_secrets(HOLDER), ids=SECRET_FORMS)
def test_hs256_with_holder_public_key_kb_jwt(secret: bytes) -> None:
    shown = sd_jwt([])
    payload = {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": digest(shown)}
    token = shown + hs256({"alg": "HS256", "typ": "kb+jwt"}, payload, secret)
    assert verify_code(token, key_binding=True) == "algorithm_not_allowed"


@pytest.mark.parametrize("secret", public_secrets(ISSUER), ids=SECRET_FORMS)
def test_hs256_with_issuer_public_key_status_list(secret: bytes) -> None:
    token = hs256({"alg": "HS256", "typ": "statuslist+jwt", "kid": ISSUER.kid},
                  {"sub": SUB, "iss": ISS, "iat": NOW, "status_list": StatusList(1, 8).encode()},
                  secret)
    assert status_code(token) == "algorithm_not_allowed"
    assert status_code(token, algorithms=("HS256", "ES256")) == "algorithm_not_allowed"


# --- keys taken from the token header -------------------------------------------------

def _attacker_cert() -> tuple[SoftwareSigner, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "city.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    return SoftwareSigner(key), base64.b64encode(der).decode()


CERT_SIGNER, CERT_B64 = _attacker_cert()
INJECTIONS: dict[str, tuple[Any, dict[str, Any]]] = {
    "jwk": (ATTACKER, {"jwk": ATTACKER.public_jwk()}),
    "jku": (ATTACKER, {"jku": "https://attacker.example/jwks.json"}),
    "x5u": (ATTACKER, {"x5u": "https://attacker.example/cert.pem"}),
    "x5c": (CERT_SIGNER, {"x5c": [CERT_B64]}),
}


@pytest.mark.parametrize("member", sorted(INJECTIONS))
@pytest.mark.parametrize("kid", ["attacker", "issuer", "none"])
def test_header_key_is_never_used_credential(member: str, kid: str) -> None:
    signer, extra = INJECTIONS[member]
    header: dict[str, Any] = {"alg": "ES256", "typ": "dc+sd-jwt", **extra}
    if kid != "none":
        header["kid"] = signer.kid if kid == "attacker" else ISSUER.kid
    token = jws(header, body(), signer) + "~"
    # an unknown kid finds no key; the issuer's kid (or none, one key) finds the issuer's
    # key, which the attacker's signature does not fit
    assert verify_code(token) == ("unknown_key" if kid == "attacker" else "invalid_signature")


@pytest.mark.parametrize("member", sorted(INJECTIONS))
@pytest.mark.parametrize("kid", ["attacker", "issuer"])
def test_header_key_is_never_used_status_list(member: str, kid: str) -> None:
    signer, extra = INJECTIONS[member]
    header = {"alg": "ES256", "typ": "statuslist+jwt", **extra,
              "kid": signer.kid if kid == "attacker" else ISSUER.kid}
    assert status_code(status_token(signer, header)) == \
        ("unknown_key" if kid == "attacker" else "invalid_signature")


@pytest.mark.parametrize("kid", ["../../keys/attacker", "' OR '1'='1", "", "x" * 10_000],
                         ids=["path", "sql", "empty", "long"])
def test_kid_pointing_elsewhere_finds_no_key(kid: str) -> None:
    token = jws(hdr(kid=kid), body(), ATTACKER) + "~"
    assert verify_code(token) == "unknown_key"


def test_kb_jwt_header_key_is_never_used() -> None:
    """The KB-JWT is checked with ``cnf.jwk`` only, not a ``jwk`` in its own header."""
    shown = sd_jwt([])
    payload = {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": digest(shown)}
    forged = shown + jws({"alg": "ES256", "typ": "kb+jwt", "jwk": ATTACKER.public_jwk()},
                         payload, ATTACKER)
    assert verify_code(forged, key_binding=True) == "invalid_signature"


# --- key binding stripped or swapped --------------------------------------------------

def test_kb_jwt_stripped() -> None:
    shown = kb(referenced([NAME]))
    stripped = shown[: shown.rindex("~") + 1]
    assert verify_code(stripped, key_binding=True) == "key_binding_missing"


def test_kb_jwt_signed_by_another_holder() -> None:
    assert verify_code(kb(referenced([NAME]), holder=ATTACKER), key_binding=True) == \
        "invalid_signature"


def test_kb_jwt_moved_to_another_presentation() -> None:
    shown = kb(referenced([NAME]))
    other = referenced([NAME, disc("salt-salt-salt-2", "sex", "F")])
    moved = other + shown[shown.rindex("~") + 1:]
    assert verify_code(moved, key_binding=True) == "sd_hash_mismatch"


# --- disclosures ----------------------------------------------------------------------

def test_unreferenced_disclosure() -> None:
    extra = disc("salt-salt-salt-9", "admin", True)
    token = referenced([NAME]) + extra + "~"
    assert verify_code(token) == "disclosure_unreferenced"
    assert verify_code(kb(token), key_binding=True) == "disclosure_unreferenced"


def test_duplicated_disclosure() -> None:
    assert verify_code(referenced([NAME]) + NAME + "~") == "digest_duplicated"


def test_tampered_disclosure() -> None:
    token = referenced([NAME])
    tampered = token.replace(NAME, disc("salt-salt-salt-1", "name", "Eve"))
    assert verify_code(tampered) == "disclosure_unreferenced"


def test_tampered_issuer_payload() -> None:
    token = referenced([NAME])
    h, _, rest = token.partition(".")
    payload = body(_sd=[digest(NAME)], vct=VCT_B)
    forged = h + "." + b64u_encode(json_dumps(payload)) + rest[rest.index("."):]
    assert verify_code(forged) == "invalid_signature"


# --- status list signed by another key ------------------------------------------------

def test_status_list_signed_by_another_key() -> None:
    assert status_code(status_token(ATTACKER)) == "unknown_key"
    forged = status_token(ATTACKER, {"alg": "ES256", "kid": ISSUER.kid, "typ": "statuslist+jwt"})
    assert status_code(forged) == "invalid_signature"


def test_status_list_of_another_issuer_for_this_one() -> None:
    other = "https://attacker.example/issuer"
    keys = StaticKeys({ISS: {"keys": [ISSUER.public_jwk()]},
                       other: {"keys": [ATTACKER.public_jwk()]}})
    token = status_token(ATTACKER, iss=other)
    assert code_of(lambda: verify_status_list_token(token, keys=keys, now=NOW, iss=ISS)) == \
        "untrusted_issuer"


# --- type confusion -------------------------------------------------------------------

def test_credential_used_as_status_list() -> None:
    token = jws(hdr(), body(sub=SUB, status_list=StatusList(1, 8).encode()), ISSUER)
    assert status_code(token) == "typ_invalid"


def test_status_list_used_as_credential() -> None:
    token = sign_status_list_token(signer=ISSUER, sub=SUB, iss=ISS,
                                   status_list=StatusList(1, 8), iat=NOW)
    assert verify_code(token + "~") == "typ_invalid"


def test_kb_jwt_used_as_credential_and_credential_as_kb_jwt() -> None:
    shown = kb(sd_jwt([]))
    kb_jwt = shown[shown.rindex("~") + 1:]
    assert verify_code(kb_jwt + "~") == "typ_invalid"
    issuer_jwt = sd_jwt([])[:-1]
    assert verify_code(sd_jwt([]) + issuer_jwt, key_binding=True) == "kb_typ_invalid"


@pytest.mark.parametrize("typ", ["JWT", "vc+sd-jwt", "statuslist+jwt", "kb+jwt", None])
def test_issuer_jwt_typ_must_be_exact(typ: str | None) -> None:
    header = {"alg": "ES256", "kid": ISSUER.kid, **({"typ": typ} if typ else {})}
    assert verify_code(jws(header, body(), ISSUER) + "~") == "typ_invalid"


# --- ECDSA malleability and the replay digest -----------------------------------------

def _high_and_low(make: Any) -> tuple[str, str]:
    """A token from ``make()`` and its (r, n-s) twin (ECDSA signatures are random: retry
    until the original has the low s, so that both forms are exercised)."""
    while True:
        token = make()
        sig = b64u_decode(token[token.rindex(".") + 1:])
        if int.from_bytes(sig[32:], "big") <= N // 2:
            return token, with_signature(token, twin(sig))


def test_replay_digest_is_stable_under_kb_jwt_malleability() -> None:
    shown, malleated = _high_and_low(lambda: kb(referenced([NAME])))
    assert shown != malleated
    first = run(shown, key_binding=True)
    second = run(malleated, key_binding=True)  # OpenSSL accepts high s: same digest instead
    assert first.digest == second.digest
    other_nonce = run(kb(referenced([NAME]), nonce="nonce-456"), key_binding=True,
                      nonce="nonce-456")
    assert other_nonce.digest != first.digest


def test_issuer_jwt_malleability_without_key_binding_shares_the_digest() -> None:
    token, malleated = _high_and_low(lambda: jws(hdr(), body(_sd=[digest(NAME)]), ISSUER))
    plain, twin_token = token + "~" + NAME + "~", malleated + "~" + NAME + "~"
    assert run(plain).digest == run(twin_token).digest


def test_issuer_jwt_malleability_with_key_binding_breaks_sd_hash() -> None:
    token, malleated = _high_and_low(lambda: jws(hdr(), body(_sd=[digest(NAME)]), ISSUER))
    shown = kb(token + "~" + NAME + "~")
    swapped = malleated + shown[len(token):]
    assert verify_code(swapped, key_binding=True) == "sd_hash_mismatch"


# --- psychic signatures (CVE-2022-21449) ----------------------------------------------

PSYCHIC = {
    "zero": bytes(64),
    "r=s=n": N.to_bytes(32, "big") * 2,
    "r=0": bytes(32) + (1).to_bytes(32, "big"),
    "s=0": (1).to_bytes(32, "big") + bytes(32),
    "r=n,s=1": N.to_bytes(32, "big") + (1).to_bytes(32, "big"),
    "all-ones": b"\xff" * 64,
    "short": bytes(63),
    "empty": b"",
}


@pytest.mark.parametrize("sig", PSYCHIC.values(), ids=list(PSYCHIC))
def test_psychic_signature_issuer_jwt(sig: bytes) -> None:
    token = with_signature(jws(hdr(), body(), ISSUER), sig) + "~"
    assert verify_code(token) in ("invalid_signature", "malformed")
    if len(sig) == 64:
        assert verify_code(token) == "invalid_signature"


@pytest.mark.parametrize("sig", PSYCHIC.values(), ids=list(PSYCHIC))
def test_psychic_signature_kb_jwt(sig: bytes) -> None:
    shown = with_signature(kb(sd_jwt([])), sig)
    assert verify_code(shown, key_binding=True) in ("invalid_signature", "malformed")
    if len(sig) == 64:
        assert verify_code(shown, key_binding=True) == "invalid_signature"


@pytest.mark.parametrize("sig", [PSYCHIC["zero"], PSYCHIC["r=s=n"]], ids=["zero", "r=s=n"])
def test_psychic_signature_status_list(sig: bytes) -> None:
    assert status_code(with_signature(status_token(), sig)) == "invalid_signature"


# --- invalid curve points -------------------------------------------------------------

def _off_curve(jwk: dict[str, Any]) -> dict[str, Any]:
    y = int.from_bytes(b64u_decode(jwk["y"]), "big")
    return {**jwk, "y": b64u_encode(((y + 1) % (2**256)).to_bytes(32, "big"))}


P = 2**256 - 2**224 + 2**192 + 2**96 - 1
BAD_POINTS = {
    "off-curve": _off_curve(ATTACKER.public_jwk()),
    "origin": {"kty": "EC", "crv": "P-256", "x": b64u_encode(bytes(32)),
               "y": b64u_encode(bytes(32))},
    "x=p": {**ATTACKER.public_jwk(), "x": b64u_encode(P.to_bytes(32, "big"))},
    "33-byte x": {**ATTACKER.public_jwk(), "x": b64u_encode(b"\0" + bytes(32))},
    "other curve": {**ATTACKER.public_jwk(), "crv": "P-384"},
    "secp256k1": {**ATTACKER.public_jwk(), "crv": "secp256k1"},
}


@pytest.mark.parametrize("jwk", BAD_POINTS.values(), ids=list(BAD_POINTS))
def test_holder_jwk_with_an_invalid_point(jwk: dict[str, Any]) -> None:
    token = sd_jwt([], cnf={"jwk": jwk})
    payload = {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": digest(token)}
    shown = token + jws({"alg": "ES256", "typ": "kb+jwt"}, payload, ATTACKER)
    assert verify_code(shown, key_binding=True) == "malformed"


@pytest.mark.parametrize("jwk", BAD_POINTS.values(), ids=list(BAD_POINTS))
def test_issuer_jwks_with_an_invalid_point(jwk: dict[str, Any]) -> None:
    assert code_of(lambda: StaticKeys({ISS: {"keys": [jwk]}})) == "malformed"


# --- credential type A shown as type B ------------------------------------------------

def test_type_a_presented_as_type_b() -> None:
    token = referenced([NAME])  # signed vct is VCT_A
    assert run(token, vct=VCT_A).vct == VCT_A
    assert run(token, vct=[VCT_B, VCT_A]).vct == VCT_A
    assert verify_code(token, vct=VCT_B) == "vct_mismatch"
    assert verify_code(token, vct=[]) == "vct_mismatch"


def test_vct_cannot_be_swapped_by_a_disclosure_or_the_header() -> None:
    fake = disc("salt-salt-salt-3", "vct", VCT_B)
    token = sd_jwt([fake], _sd=[digest(fake)], vct=None)
    assert verify_code(token, vct=VCT_B) == "reserved_claim_name"
    header_hint = jws(hdr(vct=VCT_B), body(), ISSUER) + "~"
    assert verify_code(header_hint, vct=VCT_B) == "vct_mismatch"
