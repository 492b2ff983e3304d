"""The fast ``unpack`` (docs/qr-envelope.md §4.5) held to the plain decoder it replaced: on
real packings, on random well-formed ones, and on both after random byte flips,
truncations, insertions and deletions, the two give the same presentation or the same
error (class and detail), so the speed-up changed no result and no strictness."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.qr._packing import _varint, pack, unpack
from core.qr.errors import QrPayloadInvalid

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "qr"

# --- the reference: unpack as it was before it was rewritten for speed --------------------
# Copied verbatim (with its helpers) from core/qr/_packing.py before the rewrite, so that
# this module keeps a plain, byte-at-a-time reading of the grammar to compare against; do not
# "fix" it to match the new code. Only the names carry a _ref suffix.

_FORMAT = 0x01
_BIN, _TXT, _JSON = 0, 1, 2
_RAW = 0x01
_MAX_VARINT_BYTES = 4


def _b64u_ref(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _digest_ref(text: str) -> str:
    return _b64u_ref(hashlib.sha256(text.encode("utf-8")).digest())


class _ReaderRef:
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


_Piece = bytes | tuple[int, int]


def unpack_ref(data: bytes) -> str:
    if not data or data[0] != _FORMAT:
        raise QrPayloadInvalid("unknown packing format")
    head = _ReaderRef(data, 1)
    text_len = head.varint()
    start = head.pos
    head.take(text_len)
    text = _ReaderRef(data, start, head.pos)
    binary = _ReaderRef(data, head.pos)
    n_parts = text.varint()
    if n_parts == 0:
        raise QrPayloadInvalid("packing has no parts")
    parts: list[list[str | list[_Piece]]] = []
    for index in range(n_parts):
        n_segments = text.varint()
        if n_segments == 0:
            raise QrPayloadInvalid("part has no segments")
        is_disclosure = 0 < index < n_parts - 1
        parts.append([_read_segment_ref(text, binary, is_disclosure)
                      for _ in range(n_segments)])
    if not text.done or not binary.done:
        raise QrPayloadInvalid("trailing bytes in the packing")

    done: dict[int, str] = {k: _join_ref(parts[k], {}) for k in range(1, n_parts - 1)}
    quoted = {k: '"' + _digest_ref(v) + '"' for k, v in done.items()}
    done[0] = _join_ref(parts[0], quoted)
    if n_parts >= 2:
        quoted[0] = '"' + _digest_ref("".join(done[k] + "~" for k in range(n_parts - 1))) + '"'
        done[n_parts - 1] = _join_ref(parts[n_parts - 1], quoted)
    return "~".join(done[k] for k in range(n_parts))


def _read_segment_ref(text: _ReaderRef, binary: _ReaderRef,
                      is_disclosure: bool) -> str | list[_Piece]:
    head = text.varint()
    length, kind = head >> 2, head & 3
    if kind == _BIN:
        return _b64u_ref(binary.take(length))
    if kind == _TXT:
        try:
            return text.take(length).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QrPayloadInvalid("text segment is not UTF-8") from exc
    if kind != _JSON:
        raise QrPayloadInvalid("unknown segment type")
    body = _ReaderRef(text.data, text.pos, text.pos + length)
    text.take(length)
    pieces: list[_Piece] = []
    while not body.done:
        start = body.pos
        while body.pos < body.end and body.data[body.pos] > _RAW:
            body.pos += 1
        if body.pos > start:
            pieces.append(body.data[start : body.pos])
            continue
        token = body.take(1)[0]
        n = body.varint()
        if token == _RAW:
            pieces.append(b'"' + _b64u_ref(binary.take(n)).encode("ascii") + b'"')
        elif is_disclosure:
            raise QrPayloadInvalid("reference inside a disclosure")
        else:
            pieces.append((token, n))
    return pieces


def _join_ref(segments: list[str | list[_Piece]], quoted: dict[int, str]) -> str:
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
        out.append(_b64u_ref(bytes(raw)))
    return ".".join(out)


# --- comparison ---------------------------------------------------------------------------


def _outcome(decode: Callable[[bytes], str], data: bytes) -> tuple[str, str | None]:
    try:
        return "ok", decode(data)
    except QrPayloadInvalid as exc:
        return type(exc).__name__, exc.detail


def _assert_same(data: bytes) -> tuple[str, str | None]:
    expected = _outcome(unpack_ref, data)
    assert _outcome(unpack, data) == expected
    return expected


def _real_packings() -> list[bytes]:
    out = []
    for name in ("worked_example", "hotel_checkin", "internet_cafe"):
        v = json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))
        out.append(pack(v["presentation"]))
    return out


REAL = _real_packings()


def test_real_packings_unpack_the_same() -> None:
    for packed in REAL:
        assert _assert_same(packed)[0] == "ok"


# --- random well-formed packings (grammar of §4.2–4.3, references to any k) ---------------

_LITERAL = st.binary(max_size=12).map(lambda b: b.translate(bytes([0x22, 0x7B]) + bytes(
    range(2, 256))))  # JSON-like bytes: never 0x00 / 0x01, which start tokens


@st.composite
def _packings(draw: st.DrawFn) -> bytes:
    n_parts = draw(st.integers(1, 5))
    text, binary = bytearray(_varint(n_parts)), bytearray()
    for _ in range(n_parts):
        n_segments = draw(st.integers(1, 3))
        text += _varint(n_segments)
        for _ in range(n_segments):
            kind = draw(st.sampled_from([_BIN, _TXT, _JSON, _JSON, _JSON]))
            if kind == _BIN:
                raw = draw(st.binary(max_size=70))
                binary += raw
                text += _varint(len(raw) * 4 + _BIN)
            elif kind == _TXT:
                raw = draw(st.one_of(st.text(max_size=8).map(
                    lambda s: s.encode("utf-8", "surrogatepass")), st.binary(max_size=8)))
                text += _varint(len(raw) * 4 + _TXT) + raw
            else:
                body = bytearray()
                for piece in draw(st.lists(st.one_of(
                        _LITERAL,
                        st.integers(0, 200).map(lambda n: ("raw", n)),
                        st.integers(0, n_parts).map(lambda k: ("ref", k))), max_size=6)):
                    if isinstance(piece, bytes):
                        body += piece
                    elif piece[0] == "raw":
                        body += b"\x01" + _varint(piece[1])
                        binary += draw(st.binary(min_size=piece[1], max_size=piece[1]))
                    else:
                        body += b"\x00" + _varint(piece[1])
                text += _varint(len(body) * 4 + _JSON) + body
    return bytes([_FORMAT]) + _varint(len(text)) + bytes(text) + bytes(binary)


@st.composite
def _mutated(draw: st.DrawFn, packings: st.SearchStrategy[bytes]) -> bytes:
    data = bytearray(draw(packings))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "flip", "truncate", "insert", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        byte = draw(st.sampled_from([0x00, 0x01, 0x02, 0x7F, 0x80, 0x81, 0xFF])
                    | st.integers(0, 255))
        if op == "flip" and data:
            data[pos] = byte
        elif op == "truncate":
            del data[pos:]
        elif op == "insert":
            data.insert(pos, byte)
        elif op == "delete" and data:
            del data[pos]
    return bytes(data)


@settings(max_examples=400, deadline=None)
@given(_packings())
def test_random_well_formed_packings_unpack_the_same(data: bytes) -> None:
    _assert_same(data)


@settings(max_examples=600, deadline=None)
@given(st.one_of(_mutated(st.sampled_from(REAL)), _mutated(_packings())))
def test_mutated_packings_give_the_same_result_or_error(data: bytes) -> None:
    _assert_same(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60).map(lambda b: b"\x01" + b))
def test_arbitrary_bytes_give_the_same_error(data: bytes) -> None:
    _assert_same(data)


@pytest.mark.parametrize(("data", "detail"), [
    (b"", "unknown packing format"),
    (b"\x01\x80\x80\x80\x80\x01", "varint longer than 4 bytes"),
    (b"\x01\x05\x01\x01\x0a\x01\x80", "packing truncated in a varint"),
    (b"\x01\x05\x01\x01\x0a\x7b\x01", "packing truncated in a varint"),  # token at the end
    (b"\x01\x06\x01\x01\x0e\x01\x80\x00", "varint not minimal"),
    (b"\x01\x05\x01\x01\x0a\x01\x05", "packing truncated"),  # RAW past the binary end
    (b"\x01\x05\x01\x01\x0b\x01\x05", "unknown segment type"),
    (b"\x01\x09\x03\x01\x00\x01\x0a\x00\x01\x01\x00", "reference inside a disclosure"),
    (b"\x01\x05\x01\x01\x0a\x00\x01", "reference to a part that is not a disclosure"),
    (b"\x01\x06\x01\x01\x0a\x00\x05x", "trailing bytes in the packing"),  # before refs
    (b"\x01\x09\x02\x01\x12\x7b\x00\x00\x7d\x01\x00",
     "reference to a part that is not a disclosure"),  # sd_hash in part 0
])
def test_each_error_in_reading_order(data: bytes, detail: str) -> None:
    assert _assert_same(data) == ("QrPayloadInvalid", detail)


def test_a_varint_byte_0x00_or_0x01_is_not_a_token() -> None:
    """A RAW token of 1 byte (01 01) and the sd_hash reference (00 00) in the last part."""
    body = b'{"a":\x01\x01,"h":\x00\x00}'
    text = b"\x02" + b"\x01\x00" + b"\x01" + _varint(len(body) * 4 + _JSON) + body
    data = b"\x01" + _varint(len(text)) + text + b"\xfb"
    sd_hash = _b64u_ref(hashlib.sha256(b"~").digest())  # part 0 is "" (BIN of 0 bytes)
    kb = _b64u_ref(b'{"a":"' + _b64u_ref(b"\xfb").encode() + b'","h":"' + sd_hash.encode()
                   + b'"}')
    assert _assert_same(data) == ("ok", "~" + kb)
