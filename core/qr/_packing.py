"""The ELV1 binary packing of a compact SD-JWT(+KB) (docs/qr-envelope.md §4).

The compact text ``<jws>~<disclosure>~...~<kb-jwt>`` is cut at every ``~`` into *parts*
and every part at every ``.`` into *segments*. A canonical base64url segment is stored as
the bytes it encodes: JWS headers, payloads and disclosures become JSON that zlib
compresses well, and inside that JSON every ``"<canonical base64url, ≥ 16 bytes>"`` string
(digests, salts, key coordinates, kid, nonce) is moved as raw bytes to a *binary* section
stored after the compressible *text* section. A digest that is the hash of a disclosure in
the same presentation, and the KB-JWT ``sd_hash``, are not stored at all but recomputed.
Anything else is stored verbatim as UTF-8 text. Decoding joins the parts back into the
exact original string, so signatures and ``sd_hash`` still verify.

    packing = %x01 varint(T) text binary   ; text is T bytes; binary is the rest
    text    = varint(P) P*part             ; P ≥ 1
    part    = varint(S) S*segment          ; S ≥ 1
    segment = varint(L*4 + t) ...          ; t=0 BIN (L bytes from binary), t=1 TXT (L
                                           ; bytes UTF-8 text), t=2 JSON (L bytes of text
                                           ; with tokens), t=3 invalid
    token   = %x00 varint(k)               ; k ≥ 1: quoted digest of part k (a disclosure);
                                           ; k = 0: quoted sd_hash (only in the last part)
            / %x01 varint(n)               ; quoted base64url of the next n binary bytes
    varint  = unsigned LEB128, minimal, at most 4 bytes

Digests are base64url(SHA-256(UTF-8 of the part)); ``sd_hash`` is base64url(SHA-256(UTF-8
of parts 0..P-2, each followed by ``~``)).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from core.qr.errors import QrPayloadInvalid

__all__ = ["FORMAT", "binary_length", "pack", "unpack"]

FORMAT = 0x01
BIN, TXT, JSON = 0, 1, 2
REF, RAW = 0x00, 0x01
_MAX_VARINT_BYTES = 4
_MIN_RAW = 16  # shorter base64url strings (e.g. "sha-256") stay in the text section
_B64_STRING = re.compile(rb'"([A-Za-z0-9_-]{22,})"')


def _b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64u_canonical(segment: str | bytes) -> bytes | None:
    """The bytes ``segment`` encodes if it is canonical unpadded base64url, else None."""
    text = segment.decode("ascii") if isinstance(segment, bytes) else segment
    if not text.isascii() or "=" in text or len(text) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if _b64u(raw) == text else None  # stray chars, padding bits, '+' or '/'


def _digest(text: str) -> str:
    return _b64u(hashlib.sha256(text.encode("utf-8")).digest())


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


# --- encoding ---------------------------------------------------------------------------


def pack(presentation: str) -> bytes:
    parts = presentation.split("~")
    refs: dict[bytes, int] = {}
    if presentation.isascii():
        for k in range(1, len(parts) - 1):
            refs.setdefault(b'"' + _digest(parts[k]).encode() + b'"', k)
        if len(parts) >= 2:
            refs.setdefault(b'"' + _digest("".join(p + "~" for p in parts[:-1])).encode()
                            + b'"', 0)
    text, binary = bytearray(_varint(len(parts))), bytearray()
    for index, part in enumerate(parts):
        segments = part.split(".")
        text += _varint(len(segments))
        for segment in segments:
            _pack_segment(segment, index, len(parts), refs, text, binary)
    return bytes([FORMAT]) + _varint(len(text)) + bytes(text) + bytes(binary)


def _pack_segment(segment: str, index: int, n_parts: int, refs: dict[bytes, int],
                  text: bytearray, binary: bytearray) -> None:
    raw = _b64u_canonical(segment)
    if raw is None:
        try:
            data = segment.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise QrPayloadInvalid("presentation is not valid Unicode text") from exc
        text += _varint(len(data) * 4 + TXT) + data
        return
    if raw[:1] not in (b"{", b"[") or b"\x00" in raw or b"\x01" in raw:
        binary += raw  # opaque bytes (a signature), or not JSON: no tokens
        text += _varint(len(raw) * 4 + BIN)
        return
    is_disclosure = 0 < index < n_parts - 1
    body = bytearray()
    pos = 0
    for m in _B64_STRING.finditer(raw):
        quoted = m.group(0)
        k = None if is_disclosure else refs.get(quoted)
        if k == 0 and index != n_parts - 1:
            k = None  # sd_hash is only ever recomputed in the KB-JWT
        value = _b64u_canonical(m.group(1))
        if k is None and (value is None or len(value) < _MIN_RAW):
            continue
        body += raw[pos : m.start()]
        if k is not None:
            body += bytes([REF]) + _varint(k)
        else:
            assert value is not None
            body += bytes([RAW]) + _varint(len(value))
            binary += value
        pos = m.end()
    body += raw[pos:]
    text += _varint(len(body) * 4 + JSON) + body


def binary_length(packed: bytes) -> int:
    """Length of the binary section at the end of a packing made by ``pack``."""
    head = _Reader(packed, 1)
    text_len = head.varint()
    return len(packed) - head.pos - text_len


# --- decoding ---------------------------------------------------------------------------


class _Reader:
    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def varint(self) -> int:
        value = 0
        for i in range(_MAX_VARINT_BYTES):
            if self.pos >= self.end:
                raise QrPayloadInvalid("packing truncated in a varint")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << (7 * i)
            if not byte & 0x80:
                if byte == 0 and i > 0:
                    raise QrPayloadInvalid("varint not minimal")
                return value
        raise QrPayloadInvalid("varint longer than 4 bytes")

    def take(self, n: int) -> bytes:
        if n > self.end - self.pos:
            raise QrPayloadInvalid("packing truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    @property
    def done(self) -> bool:
        return self.pos == self.end


# A segment waiting for its references: (literal bytes | token) pieces.
_Piece = bytes | tuple[int, int]


def unpack(data: bytes) -> str:
    if not data or data[0] != FORMAT:
        raise QrPayloadInvalid("unknown packing format")
    head = _Reader(data, 1)
    text_len = head.varint()
    start = head.pos
    head.take(text_len)
    text = _Reader(data, start, head.pos)
    binary = _Reader(data, head.pos)
    n_parts = text.varint()
    if n_parts == 0:
        raise QrPayloadInvalid("packing has no parts")
    # parts[i] is a list of segments; a segment is str (done) or a list of pieces.
    parts: list[list[str | list[_Piece]]] = []
    for index in range(n_parts):
        n_segments = text.varint()
        if n_segments == 0:
            raise QrPayloadInvalid("part has no segments")
        is_disclosure = 0 < index < n_parts - 1
        parts.append([_read_segment(text, binary, is_disclosure) for _ in range(n_segments)])
    if not text.done or not binary.done:
        raise QrPayloadInvalid("trailing bytes in the packing")

    done: dict[int, str] = {k: _join(parts[k], {}) for k in range(1, n_parts - 1)}
    quoted = {k: '"' + _digest(v) + '"' for k, v in done.items()}
    done[0] = _join(parts[0], quoted)
    if n_parts >= 2:
        quoted[0] = '"' + _digest("".join(done[k] + "~" for k in range(n_parts - 1))) + '"'
        done[n_parts - 1] = _join(parts[n_parts - 1], quoted)
    return "~".join(done[k] for k in range(n_parts))


def _read_segment(text: _Reader, binary: _Reader, is_disclosure: bool) -> str | list[_Piece]:
    head = text.varint()
    length, kind = head >> 2, head & 3
    if kind == BIN:
        return _b64u(binary.take(length))
    if kind == TXT:
        try:
            return text.take(length).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QrPayloadInvalid("text segment is not UTF-8") from exc
    if kind != JSON:
        raise QrPayloadInvalid("unknown segment type")
    body = _Reader(text.data, text.pos, text.pos + length)
    text.take(length)
    pieces: list[_Piece] = []
    while not body.done:
        start = body.pos
        while body.pos < body.end and body.data[body.pos] > RAW:
            body.pos += 1
        if body.pos > start:
            pieces.append(body.data[start : body.pos])
            continue
        token = body.take(1)[0]
        n = body.varint()
        if token == RAW:
            pieces.append(b'"' + _b64u(binary.take(n)).encode("ascii") + b'"')
        elif is_disclosure:
            raise QrPayloadInvalid("reference inside a disclosure")
        else:
            pieces.append((token, n))
    return pieces


def _join(segments: list[str | list[_Piece]], quoted: dict[int, str]) -> str:
    out: list[str] = []
    for segment in segments:
        if isinstance(segment, str):
            out.append(segment)
            continue
        raw = bytearray()
        for piece in segment:
            if isinstance(piece, tuple):
                ref = quoted.get(piece[1])
                if ref is None:
                    raise QrPayloadInvalid("reference to a part that is not a disclosure")
                raw += ref.encode("ascii")
            else:
                raw += piece
        out.append(_b64u(bytes(raw)))
    return ".".join(out)
