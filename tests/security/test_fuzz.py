"""Hypothesis fuzzing of every parser that reads hostile input (issue 7): any input ends in
a result or one of our ``ELicenseError``s, never another exception. Bounded: each test has
its ``max_examples`` (sum in ``EXAMPLES``, reported in docs/security.md), ``deadline=None``.

Structure-aware where it matters: payloads and disclosures are random JSON *signed with the
trusted key*, so the fuzzer gets past the signature into the digest walk, the time and
key-binding checks; QR texts are valid zlib streams of random packings, so it gets past
base45 and zlib into the binary unpacking. ``fuzz/`` holds the atheris (coverage-guided)
counterparts.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.credential import Limits, present
from core.credential._common import digest
from core.errors import ELicenseError
from core.jose import b64u_encode, parse_compact, public_key_from_jwk
from core.qr import decode_image, decode_offline, encode_offline, parse_payload
from core.qr._base45 import ALPHABET as B45
from core.qr._base45 import b45encode
from core.qr._dictionary import DICTIONARY
from core.statuslist import StatusList, verify_status_list_token
from tests.security.forge import (
    AUD,
    HOLDER,
    ISS,
    ISSUER,
    KEYS,
    NONCE,
    NOW,
    body,
    disc,
    enc,
    hdr,
    jws,
    kb,
    referenced,
    run,
)

EXAMPLES = {"sd_jwt_text": 300, "sd_jwt_signed": 300, "sd_jwt_mutated": 300,
            "qr_text": 500, "qr_zlib": 300, "qr_mutated": 300, "status_decode": 300,
            "status_token": 300, "jose": 500, "jwk": 300, "image": 100}


def bounded(name: str) -> settings:
    return settings(max_examples=EXAMPLES[name], deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def ours(fn: Callable[[], Any]) -> Any:
    """Success or one of our errors; anything else fails the example."""
    try:
        return fn()
    except ELicenseError:
        return None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["_sd", "...", "_sd_alg", "iss", "vct", "cnf", "exp",
                                       "name", "a", "status", "jwk", ""]) | st.text(max_size=4),
                      inner, max_size=4),
    max_leaves=16)
NAMES = st.sampled_from(["name", "sex", "_sd", "...", "iss", "vct", "cnf", "exp", "a"])


def _mutate(data: st.DataObject, text: str, alphabet: str) -> str:
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["replace", "insert", "delete", "truncate", "dup"]))
        ch = data.draw(st.sampled_from(alphabet))
        if op == "replace" and i < len(text):
            text = text[:i] + ch + text[i + 1:]
        elif op == "insert":
            text = text[:i] + ch + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + 1:]
        elif op == "truncate":
            text = text[:i]
        else:
            text = text[:i] + text[i:i + 8] + text[i:]
    return text


# --- SD-JWT parser / verify -----------------------------------------------------------

@bounded("sd_jwt_text")
@given(text=st.text(alphabet=st.sampled_from("~.-_AZaz09eyJ{}\"=+/\x00é"), max_size=300),
       key_binding=st.booleans())
def test_sd_jwt_any_text(text: str, key_binding: bool) -> None:
    ours(lambda: run(text, key_binding=key_binding))


@bounded("sd_jwt_signed")
@given(payload=st.dictionaries(st.text(max_size=6) | NAMES, JSON, max_size=6),
       disclosures=st.lists(st.lists(JSON, min_size=0, max_size=4)
                            | st.tuples(st.text(max_size=4), NAMES, JSON).map(list),
                            max_size=5),
       reference=st.booleans(), key_binding=st.booleans(), keep=st.booleans(),
       data=st.data())
def test_sd_jwt_signed_random_payload_and_disclosures(
        payload: dict[str, Any], disclosures: list[list[Any]], reference: bool,
        key_binding: bool, keep: bool, data: st.DataObject) -> None:
    """Past the signature: random claims and disclosures, signed by the trusted issuer."""
    encoded = [b64u_encode(enc(d)) for d in disclosures]
    claims = body(**payload) if keep else payload
    if reference:
        claims["_sd"] = [digest(d) for d in encoded]
        if data.draw(st.booleans()):
            claims["list"] = [{"...": digest(d)} for d in encoded]
    token = jws(hdr(), claims, ISSUER) + "~" + "".join(d + "~" for d in encoded)
    if key_binding:
        overrides: dict[str, Any] = data.draw(st.dictionaries(
            st.sampled_from(["iat", "aud", "nonce", "sd_hash", "exp", "nbf"]), JSON,
            max_size=2))
        token = kb(token, **overrides)
    limits = data.draw(st.sampled_from([Limits(), Limits(depth=3, digests=4, disclosures=3)]))
    ours(lambda: run(token, key_binding=key_binding, limits=limits,
                     vct=data.draw(st.none() | st.just(body()["vct"]))))


BASE = present(referenced([disc("salt-salt-salt-1", "name", "Ana"),
                           disc("salt-salt-salt-2", "sex", "F")]),
               disclose=["name", "sex"], holder=HOLDER, nonce=NONCE, aud=AUD, iat=NOW)


@bounded("sd_jwt_mutated")
@given(data=st.data())
def test_sd_jwt_mutated_presentation(data: st.DataObject) -> None:
    text = _mutate(data, BASE, "~.-_=+/ Aa0{}[]\"\\é\x00")
    ours(lambda: run(text, key_binding=True))


# --- QR envelope ----------------------------------------------------------------------

@bounded("qr_text")
@given(text=st.one_of(
    st.text(max_size=200),
    st.text(alphabet=B45, max_size=300).map(lambda t: "ELV1:" + t),
    st.text(alphabet=B45, max_size=60).map(lambda t: "ELR1:" + t)))
def test_qr_any_text(text: str) -> None:
    ours(lambda: parse_payload(text))


@bounded("qr_zlib")
@given(packed=st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=300).map(lambda b: b"\x01" + b),
    st.lists(st.integers(0, 255), max_size=200).map(lambda b: b"\x01" + bytes(b))))
def test_qr_valid_zlib_of_random_packing(packed: bytes) -> None:
    """Past base45 and zlib: the binary unpacking sees arbitrary bytes."""
    z = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zdict=DICTIONARY)
    text = "ELV1:" + b45encode(z.compress(packed) + z.flush())
    ours(lambda: decode_offline(text))


OFFLINE = encode_offline(BASE)


@bounded("qr_mutated")
@given(data=st.data())
def test_qr_mutated_payload(data: st.DataObject) -> None:
    text = _mutate(data, OFFLINE, B45 + "a~")
    shown = ours(lambda: decode_offline(text))
    if shown is not None:  # whatever decodes must still verify or be refused by us
        ours(lambda: run(shown, key_binding=True))


# --- status list ----------------------------------------------------------------------

LST = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=64).map(b64u_encode),
    st.binary(max_size=64).map(lambda b: b64u_encode(zlib.compress(b))),
    st.binary(max_size=64).map(lambda b: b64u_encode(zlib.compress(b)[:-1])))


@bounded("status_decode")
@given(obj=st.one_of(JSON, st.fixed_dictionaries(
    {"bits": st.one_of(st.sampled_from([1, 2, 4, 8, 0, 3, 16, True]), JSON), "lst": LST},
    optional={"aggregation_uri": JSON})), max_size=st.integers(0, 1024))
def test_status_list_decoder(obj: Any, max_size: int) -> None:
    decoded = ours(lambda: StatusList.decode(obj, max_size=max_size))
    if decoded is not None:
        assert decoded.size <= max_size + 8  # whole bytes: at most one byte's worth over
        ours(lambda: decoded.get(max_size))


@bounded("status_token")
@given(payload=st.dictionaries(
    st.sampled_from(["sub", "iss", "iat", "exp", "nbf", "ttl", "status_list"]),
    JSON | st.fixed_dictionaries({"bits": st.sampled_from([1, 2, 8]), "lst": LST}),
    max_size=7),
    header=st.dictionaries(st.sampled_from(["typ", "alg", "kid", "crit", "jwk"]), JSON,
                           max_size=3),
    signed_typ=st.booleans(), text=st.text(max_size=80), raw=st.booleans())
def test_status_list_token(payload: dict[str, Any], header: dict[str, Any], signed_typ: bool,
                           text: str, raw: bool) -> None:
    if raw:
        token = text
    else:
        if signed_typ:
            header = {**header, "alg": ISSUER.alg, "kid": ISSUER.kid, "typ": "statuslist+jwt"}
        token = jws(header, payload, ISSUER)
    ours(lambda: verify_status_list_token(token, keys=KEYS, now=NOW, iss=ISS))


# --- JOSE compact parser and JWK parser -----------------------------------------------

@bounded("jose")
@given(token=st.one_of(
    st.text(max_size=200), st.binary(max_size=200),
    st.tuples(JSON, JSON, st.binary(max_size=70)).map(
        lambda t: ".".join([b64u_encode(enc(t[0])), b64u_encode(enc(t[1])),
                            b64u_encode(t[2])]))))
def test_jose_compact_parser(token: str | bytes) -> None:
    ours(lambda: parse_compact(token))


@bounded("jwk")
@given(jwk=st.one_of(JSON, st.fixed_dictionaries(
    {"kty": st.sampled_from(["EC", "OKP", "RSA", "oct"]) | JSON,
     "crv": st.sampled_from(["P-256", "Ed25519", "P-384", "X25519"]) | JSON,
     "x": st.binary(min_size=30, max_size=34).map(b64u_encode) | JSON,
     "y": st.binary(min_size=30, max_size=34).map(b64u_encode) | JSON},
    optional={"alg": st.sampled_from(["ES256", "EdDSA", "none"]) | JSON})))
def test_jwk_parser(jwk: Any) -> None:
    ours(lambda: public_key_from_jwk(jwk))


# --- image ----------------------------------------------------------------------------

PNG_MAGIC, JPEG_MAGIC = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"


@bounded("image")
@given(data=st.one_of(st.binary(max_size=400), st.binary(max_size=400).map(
    lambda b: PNG_MAGIC + b), st.binary(max_size=400).map(lambda b: JPEG_MAGIC + b)))
def test_image_decoder(data: bytes) -> None:
    ours(lambda: decode_image(data))
