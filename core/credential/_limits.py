"""Size limits on everything an attacker controls in a presentation (issue 7; threat
table in docs/security.md). Each is checked before the work it would cost and refused
with its own ``core.errors.LimitExceeded`` code.

The defaults leave room for an online presentation carrying a portrait: the issuer accepts
a JPEG of up to 64 KiB (``issuer`` setting ``portrait_max_bytes``), which is a disclosure of
about 117 000 base64url characters, hence 128 KiB per disclosure and 256 KiB in all.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    presentation: int = 256 * 1024  # characters of the whole SD-JWT(+KB)
    disclosures: int = 256          # disclosures in one presentation
    disclosure: int = 128 * 1024    # characters of one disclosure
    depth: int = 32                 # JSON nesting of the payload and disclosed values
    digests: int = 1024             # embedded digests (``_sd`` entries + ``...``), decoys too
    kb_jwt: int = 4096              # characters of the KB-JWT


DEFAULT_LIMITS = Limits()
