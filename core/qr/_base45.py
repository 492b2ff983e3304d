"""Base45 (RFC 9285): bytes ↔ text over the 45 characters of the QR alphanumeric mode.

Two bytes become three characters (``n = a*256 + b = c + d*45 + e*45²``), a final odd byte
two characters. Decoding is strict (RFC 9285 §6): a character outside the alphabet, a
length ≡ 1 (mod 3), or a triple worth more than 65535 (a pair more than 255) is refused, so
every byte string has exactly one encoding.

Decoding is on the verifier's hot path, so it has no per-character Python loop: the text is
mapped to digit values with ``bytes.translate`` and every triple is computed at once in one
big integer holding one 24-bit lane per triple (see ``b45decode``).
"""

from __future__ import annotations

from functools import lru_cache

from core.qr.errors import QrPayloadInvalid

__all__ = ["ALPHABET", "b45decode", "b45encode"]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_NOT_BASE45 = 0xFF  # digit value of every byte outside the alphabet
_DIGIT = bytes(ALPHABET.index(chr(b)) if chr(b) in ALPHABET else _NOT_BASE45
               for b in range(256))  # a bytes.translate table: byte → its base45 value


def b45encode(data: bytes) -> str:
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out += (ALPHABET[c], ALPHABET[d], ALPHABET[e])
    if len(data) % 2:
        e, c = divmod(data[-1], 45)
        out += (ALPHABET[c], ALPHABET[e])
    return "".join(out)


@lru_cache(maxsize=8)  # QRs come in a few lengths; building it is ~15 % of a b45decode
def _low_bytes(lanes: int) -> int:
    """0x0000FF in each of ``lanes`` 24-bit lanes."""
    return int.from_bytes(b"\x00\x00\xff" * lanes, "big")


def b45decode(text: str) -> bytes:
    if len(text) % 3 == 1:
        raise QrPayloadInvalid("base45 length is 1 mod 3")
    if not text.isascii():
        raise QrPayloadInvalid("character outside the base45 alphabet")
    digits = text.encode("ascii").translate(_DIGIT)
    if _NOT_BASE45 in digits:
        raise QrPayloadInvalid("character outside the base45 alphabet")
    triples = len(digits) // 3
    # Read as one big-endian integer, triple i (c, d, e) is the 24-bit lane c·2¹⁶ + d·2⁸ + e
    # (lanes in text order). Masking c, d and e out of every lane and combining them gives
    # n = c + 45·d + 2025·e ≤ 91124 < 2²⁴ per lane, so no carry crosses a lane. Written back
    # 3 bytes a lane, each lane is a zero byte then n's two bytes, unless n > 65535.
    whole = int.from_bytes(digits[: 3 * triples], "big")
    low = _low_bytes(triples)
    lanes = ((whole >> 16) & low) + 45 * ((whole >> 8) & low) + 2025 * (whole & low)
    out = bytearray(lanes.to_bytes(3 * triples, "big"))
    if out[::3].count(0) != triples:
        raise QrPayloadInvalid("base45 triple over 65535")
    del out[::3]
    if len(digits) % 3 == 2:
        n = digits[-2] + digits[-1] * 45
        if n > 0xFF:
            raise QrPayloadInvalid("base45 pair over 255")
        out.append(n)
    return bytes(out)
