"""Errors of the key store (subclasses of the ``core.errors`` tree, each with its own code).

    ELicenseError
    ├── KeyDecryptionFailed        500 key_decryption_failed  (wrong secret, swapped or
    │                                                          tampered ciphertext)
    ├── BadRequest
    │   └── KeyAlgorithmUnsupported 400 key_alg_unsupported
    ├── NotFound
    │   └── KeyNotFound            404 key_not_found
    ├── Conflict
    │   └── KeyStateInvalid        409 key_state_invalid      (transition or use not allowed)
    └── ServiceUnavailable
        └── NoActiveKey            503 no_active_key          (owner has no active key yet)
"""

from __future__ import annotations

from core.errors import BadRequest, Conflict, ELicenseError, NotFound, ServiceUnavailable

__all__ = [
    "KeyAlgorithmUnsupported",
    "KeyDecryptionFailed",
    "KeyNotFound",
    "KeyStateInvalid",
    "NoActiveKey",
]


class KeyDecryptionFailed(ELicenseError):
    code = "key_decryption_failed"
    status = 500
    title = "Stored private key cannot be decrypted"


class KeyAlgorithmUnsupported(BadRequest):
    code = "key_alg_unsupported"
    title = "Key algorithm not supported or not allowed"


class KeyNotFound(NotFound):
    code = "key_not_found"
    title = "No such signing key"


class KeyStateInvalid(Conflict):
    code = "key_state_invalid"
    title = "Key state does not allow this"


class NoActiveKey(ServiceUnavailable):
    code = "no_active_key"
    title = "No active signing key"
