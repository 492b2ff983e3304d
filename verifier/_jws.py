"""Verify a compact JWS against one *pinned* key with an expected ``typ`` (trust lists and
offline bundles). The header never chooses the key or the algorithm (STYLE habit 4)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from core.errors import ELicenseError, VerificationError
from core.jose import PublicKey, check_alg, parse_compact, verify_signature

__all__ = ["verify_pinned"]


def verify_pinned(token: str, *, key: PublicKey, typ: str, algorithms: Collection[str],
                  error: type[VerificationError]) -> dict[str, Any]:
    """The payload of ``token`` if it is a ``typ`` JWS signed by ``key``; else ``error``."""
    try:
        header, payload, signing_input, signature = parse_compact(token)
        if header.get("typ") != typ:
            raise error(f"typ must be {typ}")
        if "crit" in header:
            raise error("crit headers are not understood")
        check_alg(header.get("alg"), key, algorithms)
        if "kid" in header and header["kid"] != key.kid:
            raise error("signed by a key other than the pinned one")
        verify_signature(key, signature, signing_input)
    except error:
        raise
    except ELicenseError as exc:
        raise error(f"{exc.code}: {exc.detail}") from exc
    return payload
