"""Issuer key lookup for verification (RFC 9901 §7.1 step 2.3, SD-JWT VC §2.5).

The key that checks an Issuer-signed JWT is found by (``iss``, ``kid``) in keys the
verifier already trusts — never taken from the token (``jwk``, ``jku``, ``x5u``, ``x5c``
header members are ignored). ``StaticKeys`` is the plain in-memory implementation; the
verifier's trust list provides another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from core.errors import MalformedError, UnknownKey
from core.jose import PublicKey, public_key_from_jwk

__all__ = ["KeyLookup", "StaticKeys"]


@runtime_checkable
class KeyLookup(Protocol):
    def lookup(self, iss: str, kid: str | None) -> PublicKey:
        """The trusted key of issuer ``iss`` with id ``kid``; raise ``UnknownKey`` if none."""
        ...


class StaticKeys:
    """``{iss: jwks}`` where ``jwks`` is ``{"keys": [jwk, ...]}`` (or a list of JWKs).

    A key is found by its ``kid`` member or its RFC 7638 thumbprint. A token without
    ``kid`` is accepted only when its issuer has exactly one key.
    """

    __slots__ = ("_by_iss",)

    def __init__(self, issuers: Mapping[str, Mapping[str, Any] | Iterable[Mapping[str, Any]]]):
        self._by_iss: dict[str, tuple[dict[str, PublicKey], list[PublicKey]]] = {}
        for iss, jwks in issuers.items():
            jwk_list = jwks.get("keys", []) if isinstance(jwks, Mapping) else list(jwks)
            by_kid: dict[str, PublicKey] = {}
            keys: list[PublicKey] = []
            for jwk in jwk_list:
                key = public_key_from_jwk(jwk)
                keys.append(key)
                by_kid[key.kid] = key
                kid = jwk.get("kid")
                if kid is not None:
                    if not isinstance(kid, str):
                        raise MalformedError("JWK kid must be a string")
                    by_kid[kid] = key
            self._by_iss[iss] = (by_kid, keys)

    def lookup(self, iss: str, kid: str | None) -> PublicKey:
        entry = self._by_iss.get(iss)
        if entry is None:
            raise UnknownKey("unknown issuer")
        by_kid, keys = entry
        if kid is None:
            if len(keys) == 1:
                return keys[0]
            raise UnknownKey("token has no kid and the issuer has several keys")
        key = by_kid.get(kid)
        if key is None:
            raise UnknownKey("unknown kid")
        return key
