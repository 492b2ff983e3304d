"""SD-JWT VC codec: issue, present and verify (RFC 9901; draft-ietf-oauth-sd-jwt-vc).

- ``issue`` — Issuer: a compact SD-JWT (``typ dc+sd-jwt``) with salted disclosures.
- ``present`` — Holder: keep the chosen disclosures, append a KB-JWT (``typ kb+jwt``).
- ``verify`` — Verifier: every MUST of RFC 9901 §7.1 and §7.3 in one call; the issuer key
  comes from a ``KeyLookup`` (``StaticKeys`` or the trust list), never from the token.

Failures are ``core.errors.VerificationError`` subclasses with stable codes.
"""

from core.credential._issue import issue
from core.credential._keys import KeyLookup, StaticKeys
from core.credential._limits import Limits
from core.credential._present import present
from core.credential._verify import Verified, verify

__all__ = ["KeyLookup", "Limits", "StaticKeys", "Verified", "issue", "present", "verify"]
