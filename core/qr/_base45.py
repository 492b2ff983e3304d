"""Base45 (RFC 9285): bytes ↔ text over the 45 characters of the QR alphanumeric mode.

Two bytes become three characters (``n = a*256 + b = c + d*45 + e*45²``), a final odd byte
two characters. Decoding is strict (RFC 9285 §6): a character outside the alphabet, a
length ≡ 1 (mod 3), or a triple worth more than 65535 (a pair more than 255) is refused, so
every byte string has exactly one encoding.
"""

from __future__ import annotations

from core.qr.errors import QrPayloadInvalid

__all__ = ["ALPHABET", "b45decode", "b45encode"]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


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


def b45decode(text: str) -> bytes:
    if len(text) % 3 == 1:
        raise QrPayloadInvalid("base45 length is 1 mod 3")
    try:
        values = [_VALUE[ch] for ch in text]
    except KeyError as exc:
        raise QrPayloadInvalid("character outside the base45 alphabet") from exc
    out = bytearray()
    for i in range(0, len(values) - 2, 3):
        n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025
        if n > 0xFFFF:
            raise QrPayloadInvalid("base45 triple over 65535")
        out += n.to_bytes(2, "big")
    if len(values) % 3 == 2:
        n = values[-2] + values[-1] * 45
        if n > 0xFF:
            raise QrPayloadInvalid("base45 pair over 255")
        out.append(n)
    return bytes(out)
