"""In-process software signer (ES256 / EdDSA) and private-JWK import/export.

A ``SoftwareSigner`` holds a ``cryptography`` private key and exposes only the
``core.signing.Signer`` protocol. ``private_jwk()`` exists for the encrypted key store and
for the operator CLI's key files; nothing else may call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from core.errors import BadRequest
from core.jose import b64u_decode, b64u_encode, der_to_raw_es256, thumbprint

__all__ = ["SoftwareSigner", "generate_signer", "signer_from_private_jwk"]

_ECDSA = ec.ECDSA(hashes.SHA256())


class SoftwareSigner:
    __slots__ = ("_alg", "_key", "_kid", "_public")

    def __init__(self, key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> None:
        if isinstance(key, ec.EllipticCurvePrivateKey):
            if not isinstance(key.curve, ec.SECP256R1):
                raise BadRequest("only P-256 EC keys are supported")
            nums = key.public_key().public_numbers()
            self._public: dict[str, Any] = {
                "kty": "EC", "crv": "P-256",
                "x": b64u_encode(nums.x.to_bytes(32, "big")),
                "y": b64u_encode(nums.y.to_bytes(32, "big")),
            }
            self._alg = "ES256"
        elif isinstance(key, ed25519.Ed25519PrivateKey):
            raw = key.public_key().public_bytes_raw()
            self._public = {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(raw)}
            self._alg = "EdDSA"
        else:
            raise BadRequest("unsupported private key type")
        self._key = key
        self._kid = thumbprint(self._public)

    def __repr__(self) -> str:  # never the key material
        return f"SoftwareSigner(alg={self._alg!r}, kid={self._kid!r})"

    @property
    def alg(self) -> str:
        return self._alg

    @property
    def kid(self) -> str:
        return self._kid

    def public_jwk(self) -> dict[str, Any]:
        return {**self._public, "kid": self._kid, "alg": self._alg, "use": "sig"}

    def sign(self, signing_input: bytes) -> bytes:
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return der_to_raw_es256(self._key.sign(signing_input, _ECDSA))
        return self._key.sign(signing_input)

    def private_jwk(self) -> dict[str, Any]:
        """The private JWK (with ``d``). Only for the encrypted store and key files."""
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            d = self._key.private_numbers().private_value.to_bytes(32, "big")
        else:
            d = self._key.private_bytes_raw()
        return {**self.public_jwk(), "d": b64u_encode(d)}


def generate_signer(alg: str) -> SoftwareSigner:
    if alg == "ES256":
        return SoftwareSigner(ec.generate_private_key(ec.SECP256R1()))
    if alg == "EdDSA":
        return SoftwareSigner(ed25519.Ed25519PrivateKey.generate())
    raise BadRequest(f"unsupported algorithm {alg!r}")


def signer_from_private_jwk(jwk: Mapping[str, Any]) -> SoftwareSigner:
    """Load a private JWK (``d`` required), as written by other tools or ``private_jwk``."""
    try:
        d = b64u_decode(str(jwk["d"]))
        if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
            key: Any = ec.derive_private_key(int.from_bytes(d, "big"), ec.SECP256R1())
        elif jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            key = ed25519.Ed25519PrivateKey.from_private_bytes(d)
        else:
            raise BadRequest("unsupported private JWK (need EC P-256 or OKP Ed25519)")
    except (KeyError, ValueError) as exc:
        raise BadRequest("invalid private JWK") from exc
    signer = SoftwareSigner(key)
    pub = signer.public_jwk()
    for member in ("x", "y"):
        if member in jwk and jwk[member] != pub.get(member):
            raise BadRequest("private JWK's public part does not match d")
    return signer
