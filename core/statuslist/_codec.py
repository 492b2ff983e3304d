"""The Status List itself: a packed array of 1/2/4/8-bit statuses and its JSON encoding
(draft-ietf-oauth-status-list-20 §4.1 compressed byte array, §4.2 JSON, §7 status types).

Statuses are packed least-significant-bit first inside each byte, bytes in natural order
(§4.1 step 3, §11.1). ``encode`` deflates with ZLIB at level 9 (§4.1 step 4, "highest
compression level"); ``decode`` inflates *bounded*: a list whose decompressed size exceeds
``max_size`` entries is refused as ``status_list_too_large`` before more than one byte past
the limit is ever produced, so a zlib bomb costs at most the limit in memory. Every
base64/zlib/shape failure is translated here into ``StatusListMalformed``.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from core._inflate import inflate_bounded
from core.errors import (
    MalformedError,
    StatusIndexOutOfRange,
    StatusListMalformed,
    StatusListTooLarge,
    StatusValueOutOfRange,
)
from core.jose import b64u_decode, b64u_encode

__all__ = ["DEFAULT_MAX_SIZE", "INVALID", "SUSPENDED", "VALID", "StatusList"]

# §7.1 Status Type values.
VALID = 0
INVALID = 1
SUSPENDED = 2

DEFAULT_MAX_SIZE = 1 << 24  # entries accepted by ``decode`` unless the caller says otherwise
_BITS = (1, 2, 4, 8)


def _check_bits(bits: Any) -> int:
    # bool is an int subclass: ``true`` is not a bit width.
    if type(bits) is not int or bits not in _BITS:
        raise StatusListMalformed(f"bits must be one of 1, 2, 4, 8, not {bits!r}")
    return bits


class StatusList:
    """A mutable status list of ``size`` entries, ``bits`` bits each, all VALID at start."""

    __slots__ = ("_bits", "_data", "_mask", "_per_byte", "_size", "aggregation_uri")

    def __init__(self, bits: int, size: int, *, aggregation_uri: str | None = None) -> None:
        self._bits = _check_bits(bits)
        if type(size) is not int or size < 0:
            raise StatusListMalformed(f"size must be a non-negative integer, not {size!r}")
        self._size = size
        self._per_byte = 8 // bits
        self._mask = (1 << bits) - 1
        self._data = bytearray(-(-size * bits // 8))
        self.aggregation_uri = aggregation_uri

    @classmethod
    def from_bytes(
        cls, bits: int, data: bytes, *, aggregation_uri: str | None = None
    ) -> StatusList:
        """A list over an uncompressed byte array; its size is every entry the bytes hold."""
        self = cls(bits, 0, aggregation_uri=aggregation_uri)
        self._data = bytearray(data)
        self._size = len(data) * self._per_byte
        return self

    @property
    def bits(self) -> int:
        return self._bits

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return self._size

    def to_bytes(self) -> bytes:
        """The uncompressed byte array of §4.1 step 2–3."""
        return bytes(self._data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusList):
            return NotImplemented
        return (self._bits, self._size, self._data, self.aggregation_uri) == (
            other._bits, other._size, other._data, other.aggregation_uri)

    def __repr__(self) -> str:
        return f"StatusList(bits={self._bits}, size={self._size})"

    def _locate(self, idx: int) -> tuple[int, int]:
        if type(idx) is not int or not 0 <= idx < self._size:
            raise StatusIndexOutOfRange(f"index {idx!r} outside 0..{self._size - 1}")
        byte, slot = divmod(idx, self._per_byte)
        return byte, slot * self._bits

    def get(self, idx: int) -> int:
        byte, shift = self._locate(idx)
        return (self._data[byte] >> shift) & self._mask

    def set(self, idx: int, value: int) -> None:
        if type(value) is not int or not 0 <= value <= self._mask:
            raise StatusValueOutOfRange(
                f"value {value!r} does not fit in {self._bits} bit(s)")
        byte, shift = self._locate(idx)
        self._data[byte] = (self._data[byte] & ~(self._mask << shift)) | (value << shift)

    def encode(self) -> dict[str, Any]:
        """The §4.2 JSON object: ``{"bits", "lst"[, "aggregation_uri"]}``."""
        out: dict[str, Any] = {
            "bits": self._bits,
            "lst": b64u_encode(zlib.compress(bytes(self._data), 9)),
        }
        if self.aggregation_uri is not None:
            out["aggregation_uri"] = self.aggregation_uri
        return out

    @classmethod
    def decode(cls, obj: Any, *, max_size: int = DEFAULT_MAX_SIZE) -> StatusList:
        """Parse a §4.2 JSON object; at most ``max_size`` entries are ever inflated."""
        if not isinstance(obj, Mapping):
            raise StatusListMalformed("status_list is not a JSON object")
        bits = _check_bits(obj.get("bits"))
        lst = obj.get("lst")
        if not isinstance(lst, str):
            raise StatusListMalformed("lst must be a string")
        agg = obj.get("aggregation_uri")
        if agg is not None and not isinstance(agg, str):
            raise StatusListMalformed("aggregation_uri must be a string")
        try:
            compressed = b64u_decode(lst)
        except MalformedError as exc:
            raise StatusListMalformed("lst is not base64url") from exc
        max_bytes = -(-max_size * bits // 8)
        data = _inflate(compressed, max_bytes)
        return cls.from_bytes(bits, data, aggregation_uri=agg)


def _inflate(compressed: bytes, max_bytes: int) -> bytes:
    """ZLIB-inflate (RFC 1950) ``lst`` to at most ``max_bytes`` (``core._inflate``)."""
    return inflate_bounded(compressed, max_bytes, what="lst", malformed=StatusListMalformed,
                           too_large=StatusListTooLarge)
