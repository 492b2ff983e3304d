"""IETF Token Status List (draft-ietf-oauth-status-list-20): the revocation mechanism of
elicense credentials (DESIGN §2).

- ``StatusList``: the packed 1/2/4/8-bit list, §4.1 compressed byte array and §4.2 JSON
  (``encode`` / bounded ``decode``); values ``VALID`` 0, ``INVALID`` 1, ``SUSPENDED`` 2 (§7.1).
- ``sign_status_list_token`` / ``verify_status_list_token``: the ``statuslist+jwt`` token
  (§5.1, §8.3), keys from the caller's ``KeyLookup`` only.
- ``status_reference`` / ``status_of``: the credential's ``status.status_list {idx, uri}``
  (§6.2) and the status it points at.

Every failure is a ``core.errors.StatusError`` (``status_list_*``, ``status_index_*``,
``status_reference_*``) or a JOSE error (``typ_invalid``, ``invalid_signature``,
``unknown_key``, ``algorithm_not_allowed``, ``crit_unsupported``, ``malformed``).
"""

from core.statuslist._codec import DEFAULT_MAX_SIZE, INVALID, SUSPENDED, VALID, StatusList
from core.statuslist._reference import StatusReference, status_of, status_reference
from core.statuslist._token import (
    TYP,
    KeyLookup,
    StatusListToken,
    sign_status_list_token,
    verify_status_list_token,
)

__all__ = [
    "DEFAULT_MAX_SIZE",
    "INVALID",
    "SUSPENDED",
    "TYP",
    "VALID",
    "KeyLookup",
    "StatusList",
    "StatusListToken",
    "StatusReference",
    "sign_status_list_token",
    "status_of",
    "status_reference",
    "verify_status_list_token",
]
