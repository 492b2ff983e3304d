"""Bounded zlib inflation (RFC 1950) for attacker-supplied data: the status lists of
``core.statuslist`` and the ``ELV1:`` QR envelope of ``core.qr``.

``decompress(data, max_length)`` stops early only when the output reaches ``max_length``;
asking for one byte more than allowed tells a too-large stream from one exactly at the limit
without ever holding more than ``limit + 1`` bytes. A truncated stream and bytes after its end
are refused too, so every accepted input has exactly one meaning.
"""

from __future__ import annotations

import zlib

from core.errors import ELicenseError

__all__ = ["inflate_bounded"]


def inflate_bounded(data: bytes, limit: int, *, what: str,
                    malformed: type[ELicenseError], too_large: type[ELicenseError],
                    zdict: bytes | None = None) -> bytes:
    """``data`` inflated to at most ``limit`` bytes; ``too_large`` past it, ``malformed``
    for anything else wrong (``what`` names the stream in the messages)."""
    inflater = zlib.decompressobj(zdict=zdict) if zdict is not None else zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise malformed(f"{what} is not a valid zlib stream") from exc
    if len(out) > limit:
        raise too_large(f"{what} inflates past {limit} bytes")
    if not inflater.eof:
        raise malformed(f"{what}: truncated zlib stream")
    if inflater.unused_data:
        raise malformed(f"{what}: data after the end of the zlib stream")
    return out
