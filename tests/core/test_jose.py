"""core.jose: strict base64url, JWK parsing and thumbprints (RFC 7517, RFC 7638, RFC 8037),
compact JWS parsing and signature checks with the key's own algorithm (RFC 7515)."""

from __future__ import annotations

import pytest

from core.errors import AlgorithmError, ELicenseError, MalformedError, SignatureError
from core.jose import (
    b64u_decode,
    b64u_encode,
    check_alg,
    der_to_raw_es256,
    json_loads,
    json_loads_object,
    parse_compact,
    public_key_from_jwk,
    raw_to_der_es256,
    sign_compact,
    thumbprint,
    verify_signature,
)
from keys.software import generate_signer

# RFC 8037 Appendix A.2 / A.3: Ed25519 public key and its RFC 7638 thumbprint
RFC8037_JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_rfc8037_thumbprint() -> None:
    assert thumbprint(RFC8037_JWK) == RFC8037_THUMBPRINT
    assert public_key_from_jwk(RFC8037_JWK).kid == RFC8037_THUMBPRINT


@pytest.mark.parametrize("n", range(0, 40))
def test_b64u_round_trip(n: int) -> None:
    data = bytes(range(n))
    text = b64u_encode(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert b64u_decode(text) == data
    assert b64u_decode(text.encode()) == data


@pytest.mark.parametrize("bad", ["a", "ab=", "ab+c", "ab/c", "ab c", "ab\nc", "ab!c", "é",
                                 "abcde", "AAAA=", "AA==", "a.b"])
def test_b64u_strict(bad: str) -> None:
    with pytest.raises(MalformedError):
        b64u_decode(bad)


@pytest.mark.parametrize("bad", ["+", "/", "=", ".", " ", "~", "\n", "é"])
def test_b64u_strict_on_the_simd_path(bad: str) -> None:
    good = b64u_encode(bytes(range(256)) * 2)  # long enough for pybase64
    assert b64u_decode(good) == bytes(range(256)) * 2
    with pytest.raises(MalformedError):
        b64u_decode(good[:100] + bad + good[101:])
    with pytest.raises(MalformedError):
        b64u_decode(good + "A" if len(good) % 4 == 0 else good[: len(good) // 4 * 4] + "A")


def test_json_helpers() -> None:
    assert json_loads(b'{"a": [1, 2]}') == {"a": [1, 2]}
    for bad in (b"", b"{", b"\xff", b"[" * 2000 + b"]" * 2000, b"NaN"):
        with pytest.raises(MalformedError):
            json_loads(bad)
    with pytest.raises(MalformedError):
        json_loads_object(b'{"a": 1, "a": 2}')  # strict reader refuses duplicates
    with pytest.raises(MalformedError):
        json_loads_object(b"[]")


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_sign_parse_verify(alg: str) -> None:
    signer = generate_signer(alg)
    token = sign_compact({"typ": "x"}, {"a": 1}, signer)
    header, payload, signing_input, signature = parse_compact(token)
    assert header == {"typ": "x", "alg": alg, "kid": signer.kid}
    assert payload == {"a": 1}
    key = public_key_from_jwk(signer.public_jwk())
    assert key.alg == alg and key.kid == signer.kid
    check_alg(header["alg"], key, ("ES256", "EdDSA"))
    verify_signature(key, signature, signing_input)
    with pytest.raises(SignatureError):
        verify_signature(key, signature, signing_input + b"x")
    with pytest.raises(SignatureError):
        verify_signature(key, signature[:-1], signing_input)
    other = public_key_from_jwk(generate_signer(alg).public_jwk())
    with pytest.raises(SignatureError):
        verify_signature(other, signature, signing_input)


def test_check_alg() -> None:
    es, ed = (public_key_from_jwk(generate_signer(a).public_jwk()) for a in ("ES256", "EdDSA"))
    for alg, key, allowed in [("none", es, ("ES256", "none")), ("HS256", es, ("HS256",)),
                              ("EdDSA", es, ("ES256", "EdDSA")), ("ES256", es, ("EdDSA",)),
                              ("ES256", ed, ("ES256",))]:
        with pytest.raises(AlgorithmError):
            check_alg(alg, key, allowed)


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", "e30.e30", "W10.e30.AA", "e30.W10.AA",
                                   "e30.e30.!!", "é.e30.AA"])
def test_parse_compact_malformed(token: str) -> None:
    with pytest.raises(MalformedError):
        parse_compact(token)


@pytest.mark.parametrize("jwk", [
    {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
    {"kty": "EC", "crv": "P-384", "x": "AAAA", "y": "AAAA"},
    {"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43},  # not on the curve
    {"kty": "OKP", "crv": "X25519", "x": RFC8037_JWK["x"]},
    {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
    {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
    {"kty": "oct", "k": "c2VjcmV0"},
    {"kty": "OKP", "crv": "Ed25519", "x": 5},
    {},
])
def test_bad_jwks(jwk: dict) -> None:
    with pytest.raises(MalformedError):
        public_key_from_jwk(jwk)


def test_jwk_alg_must_fit_the_key() -> None:
    with pytest.raises(AlgorithmError):
        public_key_from_jwk({**RFC8037_JWK, "alg": "ES256"})
    assert public_key_from_jwk({**RFC8037_JWK, "alg": "EdDSA"}).alg == "EdDSA"


def test_public_key_ignores_private_members_and_is_cached() -> None:
    signer = generate_signer("ES256")
    a = public_key_from_jwk(signer.private_jwk())
    b = public_key_from_jwk(signer.public_jwk())
    assert "d" not in a.jwk and a is b
    with pytest.raises(ELicenseError):
        public_key_from_jwk("not a dict")  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", [
    bytes(64), b"\xff" * 64, bytes(31) + b"\x80" + bytes(32), bytes(32) + b"\x01" * 32,
    b"\x00\x7f" + b"\x42" * 62, *(bytes((i * 37 + j) % 256 for j in range(64)) for i in range(50)),
])
def test_raw_to_der_matches_cryptography(raw: bytes) -> None:
    # our hand-built DER against cryptography's encoder (a second implementation)
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    expected = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                    int.from_bytes(raw[32:], "big"))
    assert raw_to_der_es256(raw) == expected


def test_es256_signature_encoding() -> None:
    signer = generate_signer("ES256")
    raw = signer.sign(b"m")
    assert len(raw) == 64
    assert der_to_raw_es256(raw_to_der_es256(raw)) == raw
    with pytest.raises(SignatureError):
        raw_to_der_es256(raw[:63])
