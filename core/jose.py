"""Low-level JOSE layer (RFC 7515 compact JWS, RFC 7517 JWK, RFC 7638 thumbprints) on
``cryptography``, for the two algorithms elicense allows: ES256 and EdDSA (Ed25519).

This is the named low-level layer under ``core.credential`` and ``core.statuslist``:
- the algorithm is decided by the caller's allow-list and the *key*, never by the header
  alone (a header ``alg`` that does not match the key's is refused);
- every cryptography / base64 / JSON failure is translated here into ``core.errors``.
Public keys are parsed once and cached by their JWK thumbprint.
"""

from __future__ import annotations

import binascii
import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
import pybase64
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
)

from core.errors import AlgorithmError, MalformedError, NestingTooDeep, SignatureError
from core.signing import Signer

__all__ = [
    "SUPPORTED_ALGS",
    "PublicKey",
    "b64u_decode",
    "b64u_encode",
    "check_alg",
    "der_to_raw_es256",
    "json_dumps",
    "json_loads",
    "json_loads_object",
    "parse_compact",
    "public_key_from_jwk",
    "raw_to_der_es256",
    "sign_compact",
    "thumbprint",
    "verify_signature",
]

SUPPORTED_ALGS = ("ES256", "EdDSA")
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


_URL_TO_STD = bytes.maketrans(b"-_", b"+/")
_STD_TO_URL = bytes.maketrans(b"+/", b"-_")
_PAD = (b"", b"", b"==", b"=")


def b64u_encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").translate(_STD_TO_URL).decode()


_SIMD_FROM = 200  # below this, call overhead beats pybase64's SIMD speed
_B64U_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64u_decode(data: str | bytes) -> bytes:
    """Strict base64url without padding; anything else is ``malformed``."""
    if isinstance(data, str):
        try:
            raw = data.encode("ascii")
        except UnicodeEncodeError as exc:
            raise MalformedError("non-ASCII in base64url") from exc
    else:
        raw = data
    n = len(raw)
    try:
        if n > _SIMD_FROM:
            # pybase64 (SIMD) validates the alphabet itself, but still tolerates the
            # standard '+' '/' next to altchars, and we want no padding at all
            if b"+" in raw or b"/" in raw or b"=" in raw or n % 4 == 1:
                raise MalformedError("invalid base64url")
            return pybase64.b64decode(raw + _PAD[n % 4], altchars=b"-_", validate=True)
        # the stdlib decoder silently skips foreign characters: refuse them first
        if raw.translate(None, _B64U_ALPHABET) or n % 4 == 1:
            raise MalformedError("invalid base64url")
        return binascii.a2b_base64(raw.translate(_URL_TO_STD) + _PAD[n % 4])
    except (binascii.Error, ValueError) as exc:
        raise MalformedError("invalid base64url") from exc


def json_dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


def json_loads(data: bytes | str) -> Any:
    """Fast JSON (orjson) for the verification hot path; failures are ``malformed``.

    Duplicate member names keep the lexically last one, which RFC 7519 §4 allows as the
    alternative to rejecting them; depth is bounded by orjson (1024 levels).
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):  # orjson stops at 1024 levels without recursing
            raise NestingTooDeep("JSON nested deeper than 1024 levels") from exc
        raise MalformedError("invalid JSON") from exc


def json_loads_object(data: bytes) -> dict[str, Any]:
    """Parse a JSON object, refusing duplicate member names (RFC 7515 §5.2, RFC 9901 §7.1)."""
    try:
        obj = json.loads(data, object_pairs_hook=_no_duplicates)
    except RecursionError as exc:  # the C scanner gives up at the interpreter's limit
        raise NestingTooDeep("JSON nested too deep") from exc
    except ValueError as exc:
        raise MalformedError("invalid JSON") from exc
    if not isinstance(obj, dict):
        raise MalformedError("JSON value is not an object")
    return obj


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate member {k!r}")
        out[k] = v
    return out


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url): the ``kid`` of every elicense key."""
    kty = jwk.get("kty")
    if kty == "EC":
        members = {"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]}
    elif kty == "OKP":
        members = {"crv": jwk["crv"], "kty": "OKP", "x": jwk["x"]}
    elif kty == "RSA":  # thumbprint only (RFC 7638 §3.1 example); RSA never signs here
        members = {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}
    else:
        raise MalformedError(f"unsupported kty {kty!r}")
    canon = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return b64u_encode(hashlib.sha256(canon).digest())


@dataclass(frozen=True)
class PublicKey:
    """A parsed public key and the one algorithm it may be used with."""

    alg: str
    key: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
    kid: str
    jwk: Mapping[str, Any]

    def verify(self, signature: bytes, signing_input: bytes) -> None:
        verify_signature(self, signature, signing_input)


def public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """Parse a public JWK (private members are ignored, never used). Cached: the same key
    seen again (an issuer key, a holder's ``cnf.jwk``) costs a dictionary lookup."""
    try:
        get = jwk.get
        return _public_key(get("kty"), get("crv"), get("x"), get("y"), get("alg"))
    except (AttributeError, TypeError) as exc:  # not a mapping; unhashable members
        raise MalformedError("invalid JWK") from exc


@lru_cache(maxsize=4096)
def _public_key(
    kty: str | None, crv: str | None, x: str | None, y: str | None, declared: str | None
) -> PublicKey:
    if not all(p is None or type(p) is str for p in (kty, crv, x, y, declared)):
        raise MalformedError("invalid JWK")
    alg, obj = _parse_public(str(kty), str(crv), str(x), str(y))
    if declared is not None and declared != alg:
        raise AlgorithmError(f"JWK alg {declared!r} does not fit its key type")
    public: dict[str, Any] = {"kty": kty, "crv": crv, "x": x}
    if kty == "EC":
        public["y"] = y
    return PublicKey(alg=alg, key=obj, kid=thumbprint(public), jwk=public)


@lru_cache(maxsize=4096)
def _parse_public(
    kty: str, crv: str, x: str, y: str
) -> tuple[str, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey]:
    try:
        if kty == "EC" and crv == "P-256":
            xb, yb = b64u_decode(x), b64u_decode(y)
            if len(xb) != 32 or len(yb) != 32:
                raise MalformedError("invalid P-256 coordinates")
            pub = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), b"\x04" + xb + yb
            )
            return "ES256", pub
        if kty == "OKP" and crv == "Ed25519":
            xb = b64u_decode(x)
            if len(xb) != 32:
                raise MalformedError("invalid Ed25519 key")
            return "EdDSA", ed25519.Ed25519PublicKey.from_public_bytes(xb)
    except ValueError as exc:  # point not on curve, etc.
        raise MalformedError("invalid public key") from exc
    raise MalformedError(f"unsupported key type {kty}/{crv}")


def der_to_raw_es256(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def raw_to_der_es256(raw: bytes) -> bytes:
    """JWS ``r||s`` (RFC 7518 §3.4) to the DER ``SEQUENCE { INTEGER r, INTEGER s }`` that
    ``cryptography`` verifies; built by hand (hot path: one per ES256 check)."""
    if len(raw) != 64:
        raise SignatureError("ES256 signature must be 64 bytes")
    body = _der_uint(raw[:32]) + _der_uint(raw[32:])
    return b"\x30" + bytes((len(body),)) + body  # at most 70 bytes: short-form length


def _der_uint(b: bytes) -> bytes:
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + bytes((len(b),)) + b


def verify_signature(key: PublicKey, signature: bytes, signing_input: bytes) -> None:
    """Raise ``SignatureError`` unless ``signature`` is valid for ``key`` over the input."""
    try:
        if key.alg == "ES256":
            key.key.verify(raw_to_der_es256(signature), signing_input, _ECDSA_SHA256)  # type: ignore[call-arg]
        else:
            key.key.verify(signature, signing_input)  # type: ignore[call-arg]
    except (InvalidSignature, ValueError) as exc:
        raise SignatureError() from exc


def check_alg(header_alg: Any, key: PublicKey, allowed: Collection[str]) -> None:
    """The header's ``alg`` must be allowed *and* be the key's own algorithm."""
    if header_alg not in allowed or header_alg not in SUPPORTED_ALGS:
        raise AlgorithmError(f"alg {header_alg!r} not allowed")
    if header_alg != key.alg:
        raise AlgorithmError(f"alg {header_alg!r} does not match the key ({key.alg})")


def sign_compact(header: Mapping[str, Any], payload: Mapping[str, Any], signer: Signer) -> str:
    """A compact JWS over ``payload``; ``alg`` and ``kid`` come from the signer."""
    hdr = {**header, "alg": signer.alg, "kid": signer.kid}
    signing_input = b64u_encode(json_dumps(hdr)) + "." + b64u_encode(json_dumps(payload))
    sig = signer.sign(signing_input.encode("ascii"))
    return signing_input + "." + b64u_encode(sig)


def parse_compact(token: str | bytes) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Split an *unverified* compact JWS into (header, payload, signing input, signature).

    Nothing here is trusted yet: the caller checks ``alg``/``typ``/``crit`` against its
    policy and the signature against a key it found by itself.
    """
    try:
        raw = token.encode("ascii") if isinstance(token, str) else token
        h, p, sig = raw.split(b".")
    except ValueError as exc:  # UnicodeEncodeError is one too
        raise MalformedError("a compact JWS has three parts") from exc
    header = json_loads(b64u_decode(h))
    payload = json_loads(b64u_decode(p))
    if type(header) is not dict or type(payload) is not dict:
        raise MalformedError("JWS header and payload must be JSON objects")
    return header, payload, raw[: len(h) + 1 + len(p)], b64u_decode(sig)
