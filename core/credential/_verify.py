"""Verifier side: every MUST of RFC 9901 §7.1 (the SD-JWT) and §7.3 (the presentation),
plus the SD-JWT VC rules (draft-ietf-oauth-sd-jwt-vc §2.2.2, §2.4) when ``typ`` is
``dc+sd-jwt``.

Order (each step raises one ``core.errors`` class with a stable code):
1. split ``~`` parts; key binding presence vs. the caller's policy, decided before
   anything is parsed (§7.3 step 1-2: ``key_binding_missing`` / ``key_binding_unexpected``);
   the sizes an attacker controls (``Limits``: length, disclosure count and size, KB-JWT,
   then nesting and digest count during the walk; docs/security.md §2);
2. Issuer-signed JWT: ``crit``, ``typ``, ``alg`` allow-list, key by (``iss``, ``kid``) from
   ``keys`` only, ``alg`` = the key's, signature (§7.1 step 2), ``_sd_alg`` (step 2.4);
3. one pass over the disclosures (digest + decode), one walk over the payload replacing
   digests (§7.1 step 3), duplicate digests (step 4), unreferenced disclosures (step 5);
4. ``exp``/``nbf``/``iat`` against ``now`` ± ``leeway`` (step 6), ``vct`` for the VC profile;
5. the KB-JWT with the ``cnf.jwk`` key: typ, alg, signature, ``iat`` window, nonce, aud,
   ``sd_hash`` (§7.3 step 5).
Any input string ends in a result or one of our errors; nothing else escapes.
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import orjson
import pybase64

from core.credential._common import (
    KB_TYP,
    SD_ALG,
    SHA256,
    VC_TYP,
)
from core.credential._keys import KeyLookup
from core.credential._limits import DEFAULT_LIMITS, Limits
from core.credential._walk import Walker
from core.errors import (
    AlgorithmError,
    ClaimsError,
    CredentialExpired,
    CredentialNotYetValid,
    CritUnsupported,
    DigestDuplicated,
    DisclosureError,
    DisclosureTooLarge,
    DisclosureUnreferenced,
    ELicenseError,
    HolderKeyMissing,
    IssuedInFuture,
    KbAudMismatch,
    KbIatOutOfWindow,
    KbJwtTooLarge,
    KbTypInvalid,
    KeyBindingError,
    KeyBindingMissing,
    KeyBindingUnexpected,
    MalformedError,
    NestingTooDeep,
    NonceMismatch,
    PresentationTooLarge,
    SdAlgUnsupported,
    SdHashMismatch,
    TooManyDisclosures,
    TypInvalid,
    VctMismatch,
    VctMissing,
)
from core.jose import (
    SUPPORTED_ALGS,
    PublicKey,
    b64u_encode,
    public_key_from_jwk,
    verify_signature,
)

__all__ = ["Verified", "verify"]

MAX_PRESENTATION = DEFAULT_LIMITS.presentation
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256 group order
_HALF_N = _N // 2
_URL_TO_STD = bytes.maketrans(b"-_", b"+/")
_PAD = (b"", b"", b"==", b"=")
_STD_TO_URL = bytes.maketrans(b"+/", b"-_")


@dataclass(frozen=True, slots=True)
class Verified:
    """A presentation that passed every check."""

    claims: dict[str, Any]          # processed payload (§7.1): disclosures merged, no _sd*
    disclosed: frozenset[str]       # dotted paths of the disclosed claims
    issuer: str
    vct: str | None
    holder_jwk: dict[str, Any] | None
    status: dict[str, Any] | None
    header: dict[str, Any]
    key_binding: dict[str, Any] | None  # KB-JWT payload
    digest: str                     # replay key: SHA-256 b64url of the presentation
                                    # without the KB-JWT signature (see ``verify``)


def verify(
    presentation: str,
    *,
    keys: KeyLookup,
    key_binding: bool,
    now: int,
    nonce: str | None = None,
    aud: str | None = None,
    leeway: int = 60,
    kb_max_age: int = 300,
    algorithms: Collection[str] = ("ES256", "EdDSA"),
    typ: str = VC_TYP,
    limits: Limits = DEFAULT_LIMITS,
    vct: str | Collection[str] | None = None,
) -> Verified:
    """Verify an SD-JWT (``key_binding=False``) or SD-JWT+KB (``True``) presentation.

    ``typ`` is the required Issuer-signed JWT ``typ``; the SD-JWT VC checks (``vct``
    required, ``iss exp nbf vct cnf status`` never disclosed) apply when it is
    ``dc+sd-jwt``. With key binding, ``nonce`` and ``aud`` are required arguments.
    ``limits``: the sizes an attacker controls (``core.credential.Limits``), each refused
    with its own ``limit_exceeded`` code before it costs anything. ``vct``: the accepted
    credential type(s); another signed ``vct`` is ``vct_mismatch`` (a type A credential
    shown where type B is asked for).

    ``Verified.digest`` hashes the presentation up to the KB-JWT's signature (the whole
    presentation when there is no KB-JWT): ECDSA signatures are malleable, so a replay
    store keyed on the signature bytes could be fooled by the same presentation re-signed
    as (r, n-s); the signed content cannot change without breaking the signature. Without
    a KB-JWT, an ES256 issuer signature is hashed in its low-s form for the same reason
    (with one, ``sd_hash`` already binds the issuer signature's exact bytes).
    """
    if key_binding and (nonce is None or aud is None):
        raise ValueError("key_binding=True needs the expected nonce and aud")
    allowed = frozenset(algorithms).intersection(SUPPORTED_ALGS)
    try:
        return _verify(presentation, keys, key_binding, now, nonce, aud, leeway, kb_max_age,
                       allowed, typ, limits,
                       (vct,) if isinstance(vct, str) else None if vct is None else tuple(vct))
    except ELicenseError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, UnicodeError,
            RecursionError, OverflowError) as exc:  # a gap in the checks: still ours
        raise MalformedError("unparsable presentation") from exc


def _verify(presentation: Any, keys: KeyLookup, key_binding: bool, now: int,
            nonce: str | None, aud: str | None, leeway: int, kb_max_age: int,
            allowed: frozenset[str], typ: str, limits: Limits,
            expected_vct: tuple[str, ...] | None) -> Verified:
    if not isinstance(presentation, str):
        raise MalformedError("presentation must be a string")
    if len(presentation) > limits.presentation:
        raise PresentationTooLarge(f"presentation over {limits.presentation} characters")
    if not presentation.isascii():
        raise MalformedError("presentation must be ASCII")
    data = presentation.encode("ascii")  # bytes from here on: no re-encoding per part
    if b"+" in data or b"/" in data or b"=" in data:
        # base64url without padding; every other foreign character is refused by the
        # strict decoders of ``_b64``, which every part goes through
        raise MalformedError("invalid character in presentation")
    parts = data.split(b"~")
    if len(parts) < 2:
        raise MalformedError("an SD-JWT has at least one '~'")
    kb_jwt = parts[-1]
    if key_binding and not kb_jwt:
        raise KeyBindingMissing()
    if not key_binding and kb_jwt:
        raise KeyBindingUnexpected()
    if len(kb_jwt) > limits.kb_jwt:
        raise KbJwtTooLarge(f"KB-JWT over {limits.kb_jwt} characters")
    if len(parts) - 2 > limits.disclosures:
        raise TooManyDisclosures(f"more than {limits.disclosures} disclosures")

    # --- Issuer-signed JWT (§7.1 step 2) ---
    header, payload, signing_input, signature = _parse_jws(parts[0])
    _check_header(header, typ, allowed)
    iss = payload.get("iss")
    if iss is None and typ != VC_TYP:
        iss = payload.get("issuer")  # W3C VCDM payloads (RFC 9901 §A.4) name it so
    if not isinstance(iss, str):
        raise ClaimsError("iss missing")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise MalformedError("kid must be a string")
    key = keys.lookup(iss, kid)
    _check_alg(header["alg"], key)
    verify_signature(key, signature, signing_input)
    if payload.get(SD_ALG, SHA256) != SHA256:
        raise SdAlgUnsupported()
    vc_profile = typ == VC_TYP

    # --- disclosures (§7.1 step 3.1): one pass, digest and decode ---
    disclosures: dict[str, list[Any]] = {}
    sha256, b2a, a2b, loads = (hashlib.sha256, binascii.b2a_base64, binascii.a2b_base64,
                               orjson.loads)
    max_disclosure = limits.disclosure
    for raw in parts[1:-1]:
        if len(raw) > max_disclosure:
            raise DisclosureTooLarge(f"disclosure over {max_disclosure} characters")
        # b64url(SHA-256) without padding: 43 characters (§4.2.3)
        dg = b2a(sha256(raw).digest(), newline=False)[:43].translate(_STD_TO_URL).decode()
        if dg in disclosures:
            raise DigestDuplicated("the same disclosure is sent twice")
        try:
            content = loads(_b64(raw) if len(raw) > 200 else
                            a2b(raw.translate(_URL_TO_STD) + _PAD[len(raw) % 4],
                                strict_mode=True))
        except orjson.JSONDecodeError as exc:
            raise _json_error(exc, "disclosure is not JSON") from exc
        except binascii.Error as exc:
            raise MalformedError("disclosure is not base64url") from exc
        if (type(content) is not list or len(content) not in (2, 3)
                or type(content[0]) is not str):
            raise DisclosureError("a disclosure is a JSON array [salt, (name,) value]")
        disclosures[dg] = content

    # --- embedded digests (§7.1 step 3.2-3.5, 4, 5) ---
    walker = Walker(disclosures, max_depth=limits.depth, max_digests=limits.digests)
    claims = walker.object(payload, "", 0, vc_profile, False)
    if walker.used != len(disclosures):
        raise DisclosureUnreferenced()
    claims.pop(SD_ALG, None)

    # --- validity (§7.1 step 6) and the SD-JWT VC profile ---
    _check_times(claims, now, leeway)
    signed_vct = claims.get("vct")
    if vc_profile and not isinstance(signed_vct, str):
        raise VctMissing()
    if expected_vct is not None and signed_vct not in expected_vct:
        raise VctMismatch(f"vct {signed_vct!r} is not an accepted type")
    cnf = claims.get("cnf")
    holder_jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    status = claims.get("status")

    # --- Key Binding JWT (§7.3 step 5) ---
    sd_part = hashlib.sha256(data[: len(data) - len(kb_jwt)])
    kb_payload = None
    if key_binding:
        if not isinstance(holder_jwk, dict):
            raise HolderKeyMissing()
        kb_payload = _check_kb(kb_jwt, public_key_from_jwk(holder_jwk), allowed, now,
                               leeway, kb_max_age, nonce, aud,
                               b64u_encode(sd_part.digest()))
        # the replay digest covers what the holder signed, not the KB signature's bytes:
        # an ECDSA signature (r, n-s) or a re-encoded one must not look like a new one
        sd_part.update(kb_jwt[: kb_jwt.rindex(b".")])
    elif key.alg == "ES256" and int.from_bytes(signature[32:], "big") > _HALF_N:
        # no KB-JWT: the (r, n-s) twin of the issuer signature must share the digest
        low_s = signature[:32] + (_N - int.from_bytes(signature[32:], "big")).to_bytes(32, "big")
        sd_part = hashlib.sha256(signing_input + b"." + b64u_encode(low_s).encode()
                                 + data[len(parts[0]):])
    return Verified(
        claims=claims,
        disclosed=frozenset(walker.paths),
        issuer=iss,
        vct=signed_vct if isinstance(signed_vct, str) else None,
        holder_jwk=holder_jwk if isinstance(holder_jwk, dict) else None,
        status=status if isinstance(status, dict) else None,
        header=header,
        key_binding=kb_payload,
        digest=b64u_encode(sd_part.digest()),
    )


def _b64(raw: bytes) -> bytes:
    """Strict base64url of a part already free of '+', '/' and '=' (checked once for the
    whole presentation): anything else outside the alphabet fails here."""
    if len(raw) > 200:
        return pybase64.b64decode(raw + _PAD[len(raw) % 4], altchars=b"-_", validate=True)
    return binascii.a2b_base64(raw.translate(_URL_TO_STD) + _PAD[len(raw) % 4],
                               strict_mode=True)


def _parse_jws(raw: bytes) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """``core.jose.parse_compact`` for a part of an already alphabet-checked presentation."""
    try:
        h, p, sig = raw.split(b".")
        header, payload = orjson.loads(_b64(h)), orjson.loads(_b64(p))
        signature = _b64(sig)
    except orjson.JSONDecodeError as exc:
        raise _json_error(exc, "not a compact JWS") from exc
    except ValueError as exc:  # binascii.Error is a ValueError
        raise MalformedError("not a compact JWS") from exc
    if type(header) is not dict or type(payload) is not dict:
        raise MalformedError("JWS header and payload must be JSON objects")
    return header, payload, raw[: len(h) + 1 + len(p)], signature


def _json_error(exc: orjson.JSONDecodeError, detail: str) -> MalformedError:
    """orjson stops at 1024 levels without recursing (a 100 000-deep ``[[[`` costs
    microseconds); that refusal is ``nesting_too_deep``, anything else ``malformed``."""
    if "depth limit" in str(exc):
        return NestingTooDeep("JSON nested deeper than 1024 levels")
    return MalformedError(detail)


def _check_header(header: dict[str, Any], typ: str, allowed: frozenset[str]) -> None:
    if "crit" in header:
        raise CritUnsupported()  # we understand no extension header
    if header.get("typ") != typ:
        raise TypInvalid(f"typ must be {typ!r}")
    if header.get("alg") not in allowed:
        raise AlgorithmError(f"alg {header.get('alg')!r} not allowed")


def _check_alg(alg: str, key: PublicKey) -> None:
    if alg != key.alg:
        raise AlgorithmError(f"alg {alg!r} does not match the key ({key.alg})")


def _number(value: Any, name: str, error: type[ELicenseError] = ClaimsError) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise error(f"{name} must be a NumericDate")
    return value


def _check_times(claims: dict[str, Any], now: int, leeway: int) -> None:
    if "exp" in claims and now - leeway >= _number(claims["exp"], "exp"):
        raise CredentialExpired()
    if "nbf" in claims and now + leeway < _number(claims["nbf"], "nbf"):
        raise CredentialNotYetValid()
    if "iat" in claims and now + leeway < _number(claims["iat"], "iat"):
        raise IssuedInFuture()


def _check_kb(kb_jwt: bytes, holder: PublicKey, allowed: frozenset[str], now: int, leeway: int,
              kb_max_age: int, nonce: str | None, aud: str | None, sd_hash: str
              ) -> dict[str, Any]:
    header, payload, signing_input, signature = _parse_jws(kb_jwt)
    if "crit" in header:
        raise CritUnsupported()
    if header.get("typ") != KB_TYP:
        raise KbTypInvalid()
    if header.get("alg") not in allowed:
        raise AlgorithmError(f"KB-JWT alg {header.get('alg')!r} not allowed")
    _check_alg(header["alg"], holder)
    verify_signature(holder, signature, signing_input)
    iat = _number(payload.get("iat"), "KB-JWT iat", KeyBindingError)
    if iat > now + leeway or iat < now - kb_max_age:
        raise KbIatOutOfWindow()
    if "exp" in payload and now - leeway >= _number(payload["exp"], "KB-JWT exp",
                                                    KeyBindingError):
        raise KbIatOutOfWindow("KB-JWT expired")
    if "nbf" in payload and now + leeway < _number(payload["nbf"], "KB-JWT nbf",
                                                   KeyBindingError):
        raise KbIatOutOfWindow("KB-JWT not yet valid")
    if not isinstance(payload.get("nonce"), str) or payload["nonce"] != nonce:
        raise NonceMismatch()
    if not isinstance(payload.get("aud"), str) or payload["aud"] != aud:
        raise KbAudMismatch()
    if payload.get("sd_hash") != sd_hash:
        raise SdHashMismatch()
    return payload
