"""The Referenced Token side: the ``status.status_list {idx, uri}`` claim of a credential
and the status it points at (draft-ietf-oauth-status-list-20 §6.1–6.2, §8.3 steps 1, 4a, 6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from core.errors import StatusListSubMismatch, StatusReferenceInvalid, StatusReferenceMissing
from core.statuslist._codec import StatusList
from core.statuslist._token import StatusListToken

__all__ = ["StatusReference", "status_of", "status_reference"]


@dataclass(frozen=True)
class StatusReference:
    """Where a credential's status lives: entry ``idx`` of the list token at ``uri``."""

    idx: int
    uri: str


def status_reference(status_claim: Any) -> StatusReference:
    """Validate the value of a credential's ``status`` claim (e.g. ``Verified.status``).

    ``status_reference_missing`` when there is no ``status`` or no ``status_list`` in it;
    ``status_reference_invalid`` when ``idx`` is not a non-negative integer or ``uri`` is
    not an absolute URI string (§6.2).
    """
    if status_claim is None:
        raise StatusReferenceMissing("no status claim")
    if not isinstance(status_claim, Mapping):
        raise StatusReferenceInvalid("status claim is not an object")
    ref = status_claim.get("status_list")
    if ref is None:
        raise StatusReferenceMissing("status claim has no status_list")
    if not isinstance(ref, Mapping):
        raise StatusReferenceInvalid("status_list is not an object")
    idx, uri = ref.get("idx"), ref.get("uri")
    if type(idx) is not int or idx < 0:  # bool is not an index
        raise StatusReferenceInvalid("idx must be a non-negative integer")
    if not isinstance(uri, str) or not _is_absolute_uri(uri):
        raise StatusReferenceInvalid("uri must be an absolute URI")
    return StatusReference(idx=idx, uri=uri)


@lru_cache(maxsize=1024)  # a verifier sees the same few list URIs over and over
def _is_absolute_uri(uri: str) -> bool:
    if not uri or any(c.isspace() or ord(c) < 0x21 for c in uri):
        return False
    try:
        return bool(urlsplit(uri).scheme)
    except ValueError:
        return False


def status_of(
    status_list_token: StatusListToken | StatusList, idx: int | StatusReference
) -> int:
    """The status value (0 VALID, 1 INVALID, 2 SUSPENDED, ...) at ``idx``.

    Given a ``StatusReference`` and a verified token, the token's ``sub`` must be the
    reference's ``uri`` (§8.3 4a). Out of range is ``status_index_out_of_range`` (§8.3 6).
    """
    if isinstance(idx, StatusReference):
        if isinstance(status_list_token, StatusListToken) and (
            status_list_token.sub != idx.uri
        ):
            raise StatusListSubMismatch(f"sub {status_list_token.sub!r} is not {idx.uri!r}")
        idx = idx.idx
    if isinstance(status_list_token, StatusListToken):
        return status_list_token.status_list.get(idx)
    return status_list_token.get(idx)
