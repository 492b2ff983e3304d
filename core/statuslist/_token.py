"""Status List Tokens in JWT format: sign and verify (draft-ietf-oauth-status-list-20 §5.1,
validation per §8.3 steps 3–5, security per §11.2–11.3 and RFC 8725).

Verification trusts only the caller's ``KeyLookup`` (the issuer's own keys, resolved by the
payload ``iss`` or the caller's expected issuer, and the header ``kid``): ``jwk``, ``x5c``,
``jku``, ``x5u`` in the header are never read. The algorithm must be on the caller's
allow-list *and* be the looked-up key's own (``core.jose.check_alg``), so ``none``/HS256
and key-confusion tokens are refused. Time is a parameter (``now``, epoch seconds) with a
symmetric ``leeway``.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

from core.errors import (
    AlgorithmError,
    CritUnsupported,
    MalformedError,
    StatusListExpired,
    StatusListMalformed,
    StatusListNotYetValid,
    StatusListSubMismatch,
    TrustError,
    TypInvalid,
    UnknownKey,
)
from core.jose import (
    SUPPORTED_ALGS,
    PublicKey,
    b64u_decode,
    check_alg,
    json_loads_object,
    sign_compact,
    verify_signature,
)
from core.signing import Signer
from core.statuslist._codec import DEFAULT_MAX_SIZE, StatusList

__all__ = [
    "TYP",
    "KeyLookup",
    "StatusListToken",
    "sign_status_list_token",
    "verify_status_list_token",
]

TYP = "statuslist+jwt"  # §5.1: the JWT header typ, exactly


class KeyLookup(Protocol):
    """Where the verifier finds the issuer's public keys (never in the token).

    Structurally the same as ``core.credential.KeyLookup`` (so ``StaticKeys`` fits):
    ``lookup`` returns the trusted key for ``(iss, kid)`` or raises ``UnknownKey``.
    """

    def lookup(self, iss: str, kid: str | None) -> PublicKey: ...


@dataclass(frozen=True)
class StatusListToken:
    """A verified Status List Token. ``issuer_kid`` is the RFC 7638 thumbprint of the key
    that verified it (not whatever the header's ``kid`` said), ``iss`` the issuer it was
    looked up under."""

    status_list: StatusList
    sub: str
    iat: int
    exp: int | None
    ttl: int | None
    issuer_kid: str
    iss: str | None = None

    def get(self, idx: int) -> int:
        """The status at ``idx`` (``status_index_out_of_range`` outside the list, §8.3 step 6)."""
        return self.status_list.get(idx)


def sign_status_list_token(
    *,
    signer: Signer,
    sub: str,
    status_list: StatusList,
    iat: int,
    exp: int | None = None,
    ttl: int | None = None,
    iss: str | None = None,
) -> str:
    """A compact ``statuslist+jwt`` JWS; ``alg`` and ``kid`` come from ``signer``.

    ``iss`` is optional in §5.1; include it where verifiers look keys up by issuer.
    """
    if ttl is not None and (type(ttl) is not int or ttl <= 0):
        raise StatusListMalformed("ttl must be a positive integer")
    payload: dict[str, Any] = {"sub": sub, "iat": iat}
    if iss is not None:
        payload["iss"] = iss
    if exp is not None:
        payload["exp"] = exp
    if ttl is not None:
        payload["ttl"] = ttl
    payload["status_list"] = status_list.encode()
    return sign_compact({"typ": TYP}, payload, signer)


def verify_status_list_token(
    token: str,
    *,
    keys: KeyLookup,
    sub: str | None = None,
    iss: str | None = None,
    now: int,
    leeway: int = 60,
    algorithms: Collection[str] = ("ES256", "EdDSA"),
    max_size: int = DEFAULT_MAX_SIZE,
) -> StatusListToken:
    """Every check of §5.1 / §8.3 step 3–5; returns the token with its decoded list.

    ``sub``: the ``uri`` of the Referenced Token's ``status.status_list`` (§8.3 4a); pass it
    whenever there is one. ``iss``: the Referenced Token's issuer; the keys are looked up
    under the token's own ``iss`` claim (optional in §5.1), which must then equal it
    (``untrusted_issuer``), or under this one when the token has none; with neither,
    ``unknown_key``. ``max_size``: the most entries the list may inflate to.
    """
    header, payload, signing_input, signature = _split(token)
    if header.get("typ") != TYP:
        raise TypInvalid(f"typ must be {TYP!r}")
    if "crit" in header:  # we understand no extension, so any critical one is refused
        raise CritUnsupported("crit header not supported")
    alg = header.get("alg")
    if alg not in algorithms or alg not in SUPPORTED_ALGS:
        raise AlgorithmError(f"alg {alg!r} not allowed")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise MalformedError("kid must be a string")
    token_iss = payload.get("iss")
    if "iss" in payload and not isinstance(token_iss, str):
        raise StatusListMalformed("iss must be a string")
    if token_iss is not None and iss is not None and token_iss != iss:
        raise TrustError(f"status list signed in the name of {token_iss!r}, not {iss!r}")
    lookup_iss = token_iss if token_iss is not None else iss
    if lookup_iss is None:
        raise UnknownKey("status list token has no iss and no issuer was given")
    key = keys.lookup(lookup_iss, kid)
    check_alg(alg, key, algorithms)
    verify_signature(key, signature, signing_input)

    token_sub = payload.get("sub")
    if not isinstance(token_sub, str):
        raise StatusListMalformed("sub claim missing or not a string")
    if sub is not None and token_sub != sub:
        raise StatusListSubMismatch(f"sub {token_sub!r} is not {sub!r}")
    iat = _numeric_date(payload, "iat")
    if iat is None:
        raise StatusListMalformed("iat claim missing")
    exp = _numeric_date(payload, "exp")
    nbf = _numeric_date(payload, "nbf")
    if exp is not None and now >= exp + leeway:
        raise StatusListExpired(f"expired at {exp}")
    if iat > now + leeway:
        raise StatusListNotYetValid(f"iat {iat} is in the future")
    if nbf is not None and nbf > now + leeway:
        raise StatusListNotYetValid(f"not valid before {nbf}")
    ttl = payload.get("ttl")
    if "ttl" in payload and (type(ttl) is not int or ttl <= 0):
        raise StatusListMalformed("ttl must be a positive integer")
    if "status_list" not in payload:
        raise StatusListMalformed("status_list claim missing")
    status_list = StatusList.decode(payload["status_list"], max_size=max_size)
    return StatusListToken(status_list=status_list, sub=token_sub, iat=iat, exp=exp, ttl=ttl,
                           issuer_kid=key.kid, iss=lookup_iss)


def _split(token: Any) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    if not isinstance(token, str):
        raise MalformedError("token is not a string")
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedError("not a compact JWS")
    h, p, s = parts
    header = json_loads_object(b64u_decode(h))
    payload = json_loads_object(b64u_decode(p))
    signature = b64u_decode(s)
    return header, payload, f"{h}.{p}".encode("ascii"), signature


def _numeric_date(payload: dict[str, Any], name: str) -> int | None:
    """RFC 7519 NumericDate (whole seconds kept); absent is None, present-but-null refused."""
    if name not in payload:
        return None
    value = payload[name]
    if type(value) not in (int, float) or not math.isfinite(value):
        raise StatusListMalformed(f"{name} must be a NumericDate")
    return int(value)
