"""The signer interface that crosses the keys/ boundary (DESIGN §1).

``keys/`` implements ``Signer`` (software keys, encrypted at rest; a PKCS#11 HSM later);
``core`` only ever sees this protocol, so a private key object never leaves ``keys/``.
``sign`` returns the JWS signature bytes (raw ``r||s`` for ES256, 64 bytes for EdDSA),
ready to be base64url-encoded into a compact JWS.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["Signer"]


@runtime_checkable
class Signer(Protocol):
    @property
    def alg(self) -> str:
        """JWS ``alg``: ``ES256`` or ``EdDSA``."""
        ...

    @property
    def kid(self) -> str:
        """RFC 7638 thumbprint of the public key."""
        ...

    def public_jwk(self) -> dict[str, Any]:
        """The public JWK (no private members), with ``kid``, ``alg`` and ``use``."""
        ...

    def sign(self, signing_input: bytes) -> bytes:
        """JWS signature over ``signing_input`` (``b64(header).b64(payload)``)."""
        ...
