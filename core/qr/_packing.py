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
from binascii import b2a_base64

import pybase64

from core.qr.errors import QrPayloadInvalid

__all__ = ["FORMAT", "binary_length", "pack", "unpack"]

FORMAT = 0x01
BIN, TXT, JSON = 0, 1, 2
REF, RAW = 0x00, 0x01
_MAX_VARINT_BYTES = 4
_MIN_RAW = 16  # shorter base64url strings (e.g. "sha-256") stay in the text section
_B64_STRING = re.compile(rb'"([A-Za-z0-9_-]{22,})"')


_STD_TO_URL = bytes.maketrans(b"+/", b"-_")
_SIMD_FROM = 200  # below this many bytes, binascii beats pybase64's call overhead


def _b64u_bytes(raw: bytes) -> bytes:
    """Unpadded base64url (RFC 4648 §5) of ``raw``."""
    if len(raw) < _SIMD_FROM:
        return b2a_base64(raw, newline=False).rstrip(b"=").translate(_STD_TO_URL)
    return pybase64.urlsafe_b64encode(raw).rstrip(b"=")


def _b64u(raw: bytes) -> str:
    return _b64u_bytes(raw).decode("ascii")


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
    text_len, pos = _varint_at(packed, 1, len(packed))
    return len(packed) - pos - text_len


# --- decoding ---------------------------------------------------------------------------
# unpack runs on every offline verification (the verifier's HTTP endpoint), so it is
# written for CPython's speed: one pass over the text section with local variables, the
# usual one-byte varints read inline, the next token of a JSON body found with bytes.find
# rather than byte by byte, and segments kept as bytes until the presentation is decoded
# once at the end. It still reads the grammar above front to back and raises at the first
# violation in reading order; tests/core/test_qr_packing.py holds it to the plain decoder
# it replaced, on mutated packings.

# JSON text never holds 0x00 or 0x01, so each such byte in a body starts a token; this
# bytes.translate table maps both to 0x01, so one find locates the next token of either type.
_TOKEN_MARKS = bytes([RAW]) + bytes(range(1, 256))

# A JSON segment waiting for digests: (part, segment, pieces, [(index in pieces, k), ...]).
_Deferred = tuple[int, int, list[bytes], list[tuple[int, int]]]


def _varint_at(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """The varint at ``data[pos]`` (reading before ``end``) and the position after it."""
    value = 0
    for i in range(_MAX_VARINT_BYTES):
        if pos >= end:
            raise QrPayloadInvalid("packing truncated in a varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise QrPayloadInvalid("varint not minimal")
            return value, pos
    raise QrPayloadInvalid("varint longer than 4 bytes")


def unpack(data: bytes) -> str:
    if not data or data[0] != FORMAT:
        raise QrPayloadInvalid("unknown packing format")
    size = len(data)
    text_len, pos = _varint_at(data, 1, size)
    if text_len > size - pos:
        raise QrPayloadInvalid("packing truncated")
    end = bin_pos = pos + text_len  # text section: data[pos:end]; binary: data[bin_pos:]
    n_parts, pos = _varint_at(data, pos, end)
    if n_parts == 0:
        raise QrPayloadInvalid("packing has no parts")
    parts: list[list[bytes]] = []  # segments as base64url or UTF-8 bytes (b"" if deferred)
    deferred: list[_Deferred] = []
    for index in range(n_parts):
        if pos < end and (n_segments := data[pos]) < 0x80:  # one-byte varints inline
            pos += 1
        else:
            n_segments, pos = _varint_at(data, pos, end)
        if n_segments == 0:
            raise QrPayloadInvalid("part has no segments")
        is_disclosure = 0 < index < n_parts - 1
        segments: list[bytes] = []
        for _ in range(n_segments):
            if pos < end and (head := data[pos]) < 0x80:
                pos += 1
            else:
                head, pos = _varint_at(data, pos, end)
            length, kind = head >> 2, head & 3
            if kind == BIN:
                if length > size - bin_pos:
                    raise QrPayloadInvalid("packing truncated")
                segments.append(_b64u_bytes(data[bin_pos : bin_pos + length]))
                bin_pos += length
                continue
            if kind > JSON:
                raise QrPayloadInvalid("unknown segment type")
            if length > end - pos:
                raise QrPayloadInvalid("packing truncated")
            body = data[pos : pos + length]
            pos += length
            if kind == TXT:
                try:
                    body.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise QrPayloadInvalid("text segment is not UTF-8") from exc
                segments.append(body)
                continue
            # JSON: cut at the tokens into literal, token, literal, ..., literal pieces
            marks = body.translate(_TOKEN_MARKS)
            if (token := marks.find(RAW)) < 0:
                segments.append(_b64u_bytes(body))
                continue
            body_end, at = len(body), 0
            pieces: list[bytes] = []
            refs: list[tuple[int, int]] = []  # (index in pieces, k) of each reference
            while token >= 0:
                pieces.append(body[at:token])
                at = token + 1
                if at < body_end and (n := body[at]) < 0x80:
                    at += 1
                else:
                    n, at = _varint_at(body, at, body_end)
                if body[token] == RAW:
                    if n > size - bin_pos:
                        raise QrPayloadInvalid("packing truncated")
                    b64 = b2a_base64(data[bin_pos : bin_pos + n], newline=False)
                    pieces.append(b'"' + b64.rstrip(b"=").translate(_STD_TO_URL) + b'"')
                    bin_pos += n
                elif is_disclosure:
                    raise QrPayloadInvalid("reference inside a disclosure")
                else:
                    refs.append((len(pieces), n))
                    pieces.append(b"")  # the quoted digest, filled in by _resolve
                token = marks.find(RAW, at)
            pieces.append(body[at:])
            if refs:
                deferred.append((index, len(segments), pieces, refs))
                segments.append(b"")
            else:
                segments.append(_b64u_bytes(b"".join(pieces)))
        parts.append(segments)
    if pos != end or bin_pos != size:
        raise QrPayloadInvalid("trailing bytes in the packing")
    if deferred:
        _resolve(parts, deferred)
    return b"~".join([b".".join(segments) for segments in parts]).decode("utf-8")


def _resolve(parts: list[list[bytes]], deferred: list[_Deferred]) -> None:
    """Fill in the references (§4.5 step 4): disclosures hold none, part 0 takes their
    digests, the last part their digests and sd_hash (of the parts before it, part 0 done)."""
    n_parts = len(parts)
    quoted = {k: _quoted_digest(b".".join(parts[k])) for k in range(1, n_parts - 1)}
    for index, segment, pieces, refs in deferred:  # in reading order: part 0's come first
        if index == n_parts - 1 and index > 0 and 0 not in quoted:
            quoted[0] = _quoted_digest(b"".join([b".".join(p) + b"~" for p in parts[:-1]]))
        for i, k in refs:
            ref = quoted.get(k)
            if ref is None:
                raise QrPayloadInvalid("reference to a part that is not a disclosure")
            pieces[i] = ref
        parts[index][segment] = _b64u_bytes(b"".join(pieces))


def _quoted_digest(part: bytes) -> bytes:
    b64 = b2a_base64(hashlib.sha256(part).digest(), newline=False)
    return b'"' + b64.rstrip(b"=").translate(_STD_TO_URL) + b'"'
