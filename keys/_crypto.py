"""Encryption at rest of private JWKs: AES-256-GCM under a key derived with HKDF-SHA256
(RFC 5869) from ``settings.key_encryption_secret``.

Stored form: ``"v1." + base64url(nonce[12] || ciphertext || tag[16])``. The associated
data binds the ciphertext to its row's ``kid``, so a ciphertext copied into another row
does not decrypt (and the decrypted key must still hash to that kid: ``keys.service``).

The secret is expected to be high-entropy (``secrets.token_urlsafe(32)``; settings refuse
anything shorter than 32 characters or a placeholder outside dev mode), which is why a fast
KDF (HKDF) is enough; a passphrase would call for scrypt. In dev mode the fixed dev secret
from ``core.settings`` is used and a warning is logged once per process.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import logging
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import MalformedError
from core.jose import b64u_decode, b64u_encode
from core.settings import DEV_KEY_ENCRYPTION_SECRET, BaseServiceSettings
from keys.errors import KeyDecryptionFailed

__all__ = ["KeyWrapper", "wrapper_for"]

log = logging.getLogger("keys")

_VERSION = "v1."
_SALT = b"elicense/keys/v1"
_INFO_AEAD = b"elicense/keys/v1 private-jwk aes-256-gcm"
_AAD_PREFIX = b"elicense/keys/v1 kid="
_NONCE_LEN = 12
_dev_warned = False


class KeyWrapper:
    """Encrypts / decrypts private JWK bytes for one secret. Holds only the derived key."""

    __slots__ = ("_aead", "fingerprint")

    def __init__(self, secret: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT,
                       info=_INFO_AEAD).derive(secret.encode("utf-8"))
        self._aead = AESGCM(derived)
        # Identifies the secret in the signer cache without revealing it.
        self.fingerprint = hmac.new(derived, b"fingerprint", hashlib.sha256).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"KeyWrapper(fingerprint={self.fingerprint!r})"

    def encrypt(self, plaintext: bytes, *, kid: str) -> str:
        nonce = os.urandom(_NONCE_LEN)
        sealed = self._aead.encrypt(nonce, plaintext, _AAD_PREFIX + kid.encode("utf-8"))
        return _VERSION + b64u_encode(nonce + sealed)

    def decrypt(self, stored: str, *, kid: str) -> bytes:
        if not stored.startswith(_VERSION):
            raise KeyDecryptionFailed("unknown ciphertext format")
        try:
            blob = b64u_decode(stored[len(_VERSION):])
        except MalformedError as exc:
            raise KeyDecryptionFailed("ciphertext is not base64url") from exc
        if len(blob) < _NONCE_LEN + 16:
            raise KeyDecryptionFailed("ciphertext too short")
        try:
            return self._aead.decrypt(blob[:_NONCE_LEN], blob[_NONCE_LEN:],
                                      _AAD_PREFIX + kid.encode("utf-8"))
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise KeyDecryptionFailed(
                "wrong key-encryption secret, or the ciphertext belongs to another key"
            ) from exc


def wrapper_for(settings: BaseServiceSettings) -> KeyWrapper:
    secret = settings.key_encryption_secret.get_secret_value()
    if secret == DEV_KEY_ENCRYPTION_SECRET:
        _warn_dev_once()
    return _wrapper(secret)


@lru_cache(maxsize=8)
def _wrapper(secret: str) -> KeyWrapper:
    return KeyWrapper(secret)


def _warn_dev_once() -> None:
    global _dev_warned
    if not _dev_warned:
        _dev_warned = True
        log.warning("!!! private keys are encrypted with the built-in DEV secret: "
                    "anyone with this source code can decrypt them. Set "
                    "ELICENSE_MODE=prod and ELICENSE_KEY_ENCRYPTION_SECRET for real use. !!!")
