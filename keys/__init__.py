"""Signing keys: generation, encrypted storage, rotation, JWKS and the ``Signer``
implementations. Private key objects never leave this package: others get a
``core.signing.Signer``."""
