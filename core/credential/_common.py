"""Shared SD-JWT pieces (RFC 9901 §4): the compact separators, disclosure digests
(§4.2.3), the structured-claims marker used by the issuer, and the claims that the
SD-JWT VC profile (draft-ietf-oauth-sd-jwt-vc §2.2.2.3) forbids in disclosures."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from core.jose import b64u_encode

SD = "_sd"
DOTS = "..."
SD_ALG = "_sd_alg"
SHA256 = "sha-256"
VC_TYP = "dc+sd-jwt"
KB_TYP = "kb+jwt"

# SD-JWT VC §2.2.2.3: MUST NOT be selectively disclosed (nor any of their sub-claims).
# ``iat`` and ``sub`` MAY be disclosed there, so they are not in this set.
NEVER_DISCLOSABLE = frozenset(
    {"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "aka_vcts", "status"}
)


def digest(text: str) -> str:
    """SHA-256 over the ASCII of a base64url string, base64url-encoded (§4.2.3, §4.3.1)."""
    return b64u_encode(hashlib.sha256(text.encode("ascii")).digest())


@dataclass(frozen=True, slots=True)
class Sd:
    """Marks a selectively disclosable part of a structured claims tree.

    As a dict *key* (``{Sd("name"): "Ana"}``) it makes that member an object-property
    disclosure (§4.2.1); as a list *element* (``[Sd("DE"), "FR"]``) an array-element
    disclosure (§4.2.2). Values inside may hold further markers (recursive, §4.2.6).
    """

    value: Any
