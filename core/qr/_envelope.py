"""The two QR text forms (docs/qr-envelope.md §2–§6; DESIGN §4).

- ``ELV1:`` + base45(zlib(packing)) — an offline presentation, whole, in QR alphanumeric mode.
- ``ELR1:`` + 32 base32 characters — a 160-bit one-time token the verifier redeems online.

Decoding never trusts a length it was given: the text is size-checked before base45, and
zlib inflates into a bounded buffer (``decompressobj().decompress(data, max_length)``) so a
small QR cannot expand into a large allocation (no zlib bombs).
"""

from __future__ import annotations

import base64
import re
import secrets
import zlib

from core._inflate import inflate_bounded
from core.qr._base45 import b45decode, b45encode
from core.qr._dictionary import DICTIONARY
from core.qr._packing import binary_length as _binary_length
from core.qr._packing import pack, unpack
from core.qr.errors import QrPayloadInvalid, QrPayloadTooLarge, QrPrefixUnknown

__all__ = [
    "MAX_DECOMPRESSED",
    "MAX_PAYLOAD",
    "OFFLINE_PREFIX",
    "ONLINE_PREFIX",
    "ZLIB_LEVEL",
    "decode_offline",
    "encode_offline",
    "new_online_token",
    "parse_online",
    "parse_payload",
]

OFFLINE_PREFIX = "ELV1:"
ONLINE_PREFIX = "ELR1:"
# The most characters a QR code (version 40, ECC L, alphanumeric mode) can hold.
MAX_PAYLOAD = 4296
# Inflated packing limit: a presentation without a portrait is a few KB.
MAX_DECOMPRESSED = 32 * 1024
ZLIB_LEVEL = 9
_TOKEN_BYTES = 20  # 160 bits: 32 base32 characters, no padding
_TOKEN_RE = re.compile(r"[A-Z2-7]{32}")


def encode_offline(presentation: str) -> str:
    """``ELV1:`` text of a compact SD-JWT(+KB); ``decode_offline`` gives back the same string."""
    return OFFLINE_PREFIX + b45encode(_deflate(pack(presentation)))


def _deflate(packed: bytes) -> bytes:
    """zlib with the preset dictionary; the binary section gets its own (stored) block."""
    text_end = len(packed) - _binary_length(packed)
    deflater = zlib.compressobj(ZLIB_LEVEL, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY,
                                zdict=DICTIONARY)
    return (deflater.compress(packed[:text_end]) + deflater.flush(zlib.Z_BLOCK)
            + deflater.compress(packed[text_end:]) + deflater.flush())


def decode_offline(
    text: str, *, max_payload: int = MAX_PAYLOAD, max_decompressed: int = MAX_DECOMPRESSED
) -> str:
    """The compact SD-JWT(+KB) inside an ``ELV1:`` text, byte-identical to what was encoded."""
    _check_size(text, max_payload)
    if not text.startswith(OFFLINE_PREFIX):
        raise QrPrefixUnknown("not an ELV1: payload")
    compressed = b45decode(text[len(OFFLINE_PREFIX) :])
    return unpack(_inflate(compressed, max_decompressed))


def _inflate(data: bytes, limit: int) -> bytes:
    return inflate_bounded(data, limit, what="ELV1 packing", zdict=DICTIONARY,
                           malformed=QrPayloadInvalid, too_large=QrPayloadTooLarge)


def new_online_token() -> str:
    """A fresh ``ELR1:`` text: 160 random bits in uppercase base32 (QR alphanumeric)."""
    token = base64.b32encode(secrets.token_bytes(_TOKEN_BYTES)).decode("ascii")
    return ONLINE_PREFIX + token


def parse_online(text: str, *, max_payload: int = MAX_PAYLOAD) -> str:
    """The 32-character token inside an ``ELR1:`` text (without the prefix)."""
    _check_size(text, max_payload)
    if not text.startswith(ONLINE_PREFIX):
        raise QrPrefixUnknown("not an ELR1: payload")
    token = text[len(ONLINE_PREFIX) :]
    if not _TOKEN_RE.fullmatch(token):
        raise QrPayloadInvalid("ELR1 token is not 32 base32 characters")
    return token


def parse_payload(
    text: str, *, max_payload: int = MAX_PAYLOAD, max_decompressed: int = MAX_DECOMPRESSED
) -> tuple[str, str]:
    """Dispatch on the prefix: ``("offline", presentation)`` or ``("online", token)``."""
    _check_size(text, max_payload)
    if text.startswith(OFFLINE_PREFIX):
        return "offline", decode_offline(
            text, max_payload=max_payload, max_decompressed=max_decompressed
        )
    if text.startswith(ONLINE_PREFIX):
        return "online", parse_online(text, max_payload=max_payload)
    raise QrPrefixUnknown("QR payload must start with ELV1: or ELR1:")


def _check_size(text: str, limit: int) -> None:
    if not isinstance(text, str):
        raise QrPayloadInvalid("QR payload must be text")
    if len(text) > limit:
        raise QrPayloadTooLarge(f"QR payload over {limit} characters")
