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
        ├── NoActiveKey            503 no_active_key          (owner has no active key yet)
        └── HsmUnavailable         503 hsm_unavailable        (PKCS#11 module/device failure;
            │                                                  keys.pkcs11 maps every
            │                                                  python-pkcs11 error here)
            ├── HsmNotConfigured   503 hsm_not_configured     (no hsm_module/token/pin set)
            ├── HsmTokenNotFound   503 hsm_token_not_found
            ├── HsmLoginFailed     503 hsm_login_failed       (wrong, locked or expired PIN)
            └── HsmKeyNotFound     503 hsm_key_not_found      (no such key label in the token,
                                                               or it does not match the row)
"""

from __future__ import annotations

from core.errors import BadRequest, Conflict, ELicenseError, NotFound, ServiceUnavailable

__all__ = [
    "HsmKeyNotFound",
    "HsmLoginFailed",
    "HsmNotConfigured",
    "HsmTokenNotFound",
    "HsmUnavailable",
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


class HsmUnavailable(ServiceUnavailable):
    code = "hsm_unavailable"
    title = "Hardware security module unavailable"


class HsmNotConfigured(HsmUnavailable):
    code = "hsm_not_configured"
    title = "No PKCS#11 module, token or PIN configured"


class HsmTokenNotFound(HsmUnavailable):
    code = "hsm_token_not_found"
    title = "PKCS#11 token not found"


class HsmLoginFailed(HsmUnavailable):
    code = "hsm_login_failed"
    title = "PKCS#11 login failed"


class HsmKeyNotFound(HsmUnavailable):
    code = "hsm_key_not_found"
    title = "Key not found in the PKCS#11 token"
