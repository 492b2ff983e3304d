"""Personal data at rest: AES-256-GCM sealing of the claims kept for reissue (and of stored
idempotent responses), and a keyed blind index (HMAC-SHA256) of document numbers so an
agency can search by number without the number being stored in clear.

Both keys are derived (HKDF-SHA256) from the deployment's ``key_encryption_secret`` with
distinct ``info`` labels, so neither can be used for the other's purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import ELicenseError

__all__ = ["Sealer", "sealer_for"]

_VERSION = b"\x01"


class SealBroken(ELicenseError):
    code = "sealed_data_corrupt"
    title = "Sealed data cannot be opened"


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"elicense-issuer",
                info=info).derive(secret)


class Sealer:
    __slots__ = ("_aead", "_index_key")

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(_derive(secret, b"issuer claims seal v1"))
        self._index_key = _derive(secret, b"issuer blind index v1")

    def seal(self, obj: Any, *, aad: bytes) -> bytes:
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, orjson.dumps(obj), aad)

    def open(self, blob: bytes, *, aad: bytes) -> Any:
        if blob[:1] != _VERSION:
            raise SealBroken("unknown seal version")
        try:
            return orjson.loads(self._aead.decrypt(blob[1:13], blob[13:], aad))
        except (InvalidTag, orjson.JSONDecodeError) as exc:
            raise SealBroken() from exc

    def blind_index(self, type_: str, value: str) -> str:
        msg = type_.encode() + b"\x00" + value.strip().upper().encode()
        return hmac.new(self._index_key, msg, hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def sealer_for(secret: str) -> Sealer:
    return Sealer(secret.encode())
