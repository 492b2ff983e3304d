"""Decrypted signers and their in-process cache (used by ``keys.service`` only).

``StoredSigner`` is the ``core.signing.Signer`` handed out for a stored key: it shows kid,
alg and the public JWK, never the private key (no ``private_jwk``, repr without material).
The cache is keyed by (kid, fingerprint of the key-encryption secret), so a wrong secret
never hits an entry decrypted with the right one; ``keys.service`` drops a kid on retire
and revoke.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

from core.jose import json_loads_object
from core.settings import BaseServiceSettings
from keys._crypto import wrapper_for
from keys.errors import KeyDecryptionFailed
from keys.models import SigningKey
from keys.software import SoftwareSigner, signer_from_private_jwk

__all__ = ["StoredSigner", "clear_cache", "forget", "signer_for_row"]


class StoredSigner:
    """A ``core.signing.Signer`` over a key from the store; shows only public material."""

    __slots__ = ("__inner", "owner")

    def __init__(self, inner: SoftwareSigner, owner: str) -> None:
        self.__inner = inner
        self.owner = owner

    def __repr__(self) -> str:
        return f"StoredSigner(owner={self.owner!r}, alg={self.alg!r}, kid={self.kid!r})"

    __str__ = __repr__

    @property
    def alg(self) -> str:
        return self.__inner.alg

    @property
    def kid(self) -> str:
        return self.__inner.kid

    def public_jwk(self) -> dict[str, Any]:
        return self.__inner.public_jwk()

    def sign(self, signing_input: bytes) -> bytes:
        return self.__inner.sign(signing_input)


_CACHE_MAX = 1024
_cache: OrderedDict[tuple[str, str], StoredSigner] = OrderedDict()
_cache_lock = Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def forget(kid: str) -> None:
    with _cache_lock:
        for k in [k for k in _cache if k[0] == kid]:
            del _cache[k]


def signer_for_row(row: SigningKey, settings: BaseServiceSettings) -> StoredSigner:
    wrapper = wrapper_for(settings)
    ck = (row.kid, wrapper.fingerprint)
    with _cache_lock:
        hit = _cache.get(ck)
        if hit is not None:
            _cache.move_to_end(ck)
            return hit
    if row.private_ciphertext is None:  # a pkcs11 row: keys.pkcs11 signs for it
        raise KeyDecryptionFailed(f"key {row.kid!r} has no ciphertext (backend {row.backend})")
    plaintext = wrapper.decrypt(row.private_ciphertext, kid=row.kid)
    try:
        inner = signer_from_private_jwk(json_loads_object(plaintext))
    except Exception as exc:  # any parse failure of decrypted bytes is a store failure
        raise KeyDecryptionFailed("decrypted key is not a valid private JWK") from exc
    if inner.kid != row.kid:
        raise KeyDecryptionFailed("decrypted key does not match the row's kid")
    signer = StoredSigner(inner, row.owner)
    with _cache_lock:
        _cache[ck] = signer
        while len(_cache) > _CACHE_MAX:
            _cache.popitem(last=False)
    return signer
