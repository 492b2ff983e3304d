"""core.statuslist codec (draft-ietf-oauth-status-list-20 §4.1/§4.2): packing, bounds,
bounded inflation and malformed input, plus a property test against a list model."""

from __future__ import annotations

import tracemalloc
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import (
    StatusIndexOutOfRange,
    StatusListMalformed,
    StatusListTooLarge,
    StatusValueOutOfRange,
)
from core.jose import b64u_decode, b64u_encode
from core.statuslist import DEFAULT_MAX_SIZE, INVALID, SUSPENDED, VALID, StatusList


def _lst(raw: bytes) -> str:
    return b64u_encode(zlib.compress(raw, 9))


def test_status_type_values() -> None:
    assert (VALID, INVALID, SUSPENDED) == (0, 1, 2)


def test_new_list_is_all_valid_and_sized_in_whole_bytes() -> None:
    sl = StatusList(2, 10)
    assert len(sl) == sl.size == 10
    assert sl.to_bytes() == bytes(3)
    assert all(sl.get(i) == VALID for i in range(10))


def test_lsb_first_packing_of_section_4_1() -> None:
    sl = StatusList(1, 16)
    for i in (0, 3, 4, 5, 7, 8, 9, 13, 15):
        sl.set(i, 1)
    assert sl.to_bytes() == bytes([0xB9, 0xA3])
    sl2 = StatusList(2, 12)
    for i, v in enumerate([1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]):
        sl2.set(i, v)
    assert sl2.to_bytes() == bytes([0xC9, 0x44, 0xF9])


def test_set_overwrites_only_its_own_bits() -> None:
    sl = StatusList(4, 2)
    sl.set(0, 0xF)
    sl.set(1, 0xA)
    sl.set(0, 0x3)
    assert (sl.get(0), sl.get(1)) == (0x3, 0xA)
    assert sl.to_bytes() == bytes([0xA3])


@pytest.mark.parametrize("bits", [0, 3, 5, 7, 16, True, "1", None, 1.0])
def test_constructor_refuses_bits_other_than_1_2_4_8(bits: Any) -> None:
    with pytest.raises(StatusListMalformed) as exc:
        StatusList(bits, 8)
    assert exc.value.code == "status_list_malformed"


@pytest.mark.parametrize("size", [-1, 1.5, "8", None])
def test_constructor_refuses_bad_size(size: Any) -> None:
    with pytest.raises(StatusListMalformed):
        StatusList(1, size)


@pytest.mark.parametrize("idx", [-1, 8, 1000, True, 1.0, "0", None])
def test_index_out_of_range(idx: Any) -> None:
    sl = StatusList(1, 8)
    with pytest.raises(StatusIndexOutOfRange) as exc:
        sl.get(idx)
    assert exc.value.code == "status_index_out_of_range"
    with pytest.raises(StatusIndexOutOfRange):
        sl.set(idx, 1)


def test_index_at_the_end_of_a_partial_last_byte_is_out_of_range() -> None:
    sl = StatusList(2, 5)  # 2 bytes hold 8 entries, but only 5 exist
    sl.get(4)
    with pytest.raises(StatusIndexOutOfRange):
        sl.get(5)


@pytest.mark.parametrize(("bits", "value"), [(1, 2), (2, 4), (4, 16), (8, 256), (1, -1),
                                             (2, True), (8, 1.0)])
def test_value_out_of_range_for_bits(bits: int, value: Any) -> None:
    sl = StatusList(bits, 8)
    with pytest.raises(StatusValueOutOfRange) as exc:
        sl.set(0, value)
    assert exc.value.code == "status_value_out_of_range"
    assert sl.get(0) == 0


def test_encode_shape_and_aggregation_uri() -> None:
    sl = StatusList(1, 8)
    out = sl.encode()
    assert set(out) == {"bits", "lst"}
    assert zlib.decompress(b64u_decode(out["lst"])) == bytes(1)
    agg = StatusList(1, 8, aggregation_uri="https://example.com/agg")
    assert agg.encode()["aggregation_uri"] == "https://example.com/agg"
    assert StatusList.decode(agg.encode()).aggregation_uri == "https://example.com/agg"


def test_decode_takes_size_from_the_byte_array() -> None:
    sl = StatusList.decode({"bits": 4, "lst": _lst(bytes(5))})
    assert sl.size == 10 and sl.bits == 4


def test_empty_list_decodes_and_every_index_is_out_of_range() -> None:
    sl = StatusList.decode({"bits": 1, "lst": _lst(b"")})
    assert sl.size == 0
    with pytest.raises(StatusIndexOutOfRange):
        sl.get(0)


# --- malformed and hostile input ----------------------------------------------------------


@pytest.mark.parametrize("obj", [
    None, [], "x",
    {"lst": "eNrbuRgAAhcBXQ"},
    {"bits": 3, "lst": "eNrbuRgAAhcBXQ"},
    {"bits": "1", "lst": "eNrbuRgAAhcBXQ"},
    {"bits": True, "lst": "eNrbuRgAAhcBXQ"},
    {"bits": 1},
    {"bits": 1, "lst": 5},
    {"bits": 1, "lst": "eNrbuRgAAhcBXQ", "aggregation_uri": 7},
])
def test_decode_refuses_a_malformed_object(obj: Any) -> None:
    with pytest.raises(StatusListMalformed) as exc:
        StatusList.decode(obj)
    assert exc.value.code == "status_list_malformed"


@pytest.mark.parametrize("lst", [
    "eNrbuRgAAhcBXQ==",       # padding
    "eNrbuRgAAhcBXQ+/",       # standard alphabet
    "eNrbuRgAAhcBX",          # impossible length
    "eNrbuRgAAhcBXQ\u00e9",   # non-ASCII
])
def test_decode_refuses_bad_base64url(lst: str) -> None:
    with pytest.raises(StatusListMalformed):
        StatusList.decode({"bits": 1, "lst": lst})


def test_decode_refuses_data_that_is_not_zlib() -> None:
    with pytest.raises(StatusListMalformed):
        StatusList.decode({"bits": 1, "lst": b64u_encode(b"\x00\x01not zlib at all")})


def test_decode_refuses_raw_deflate_and_gzip() -> None:
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflate = raw.compress(b"\xb9\xa3") + raw.flush()
    gz = zlib.compressobj(9, zlib.DEFLATED, 31)
    gzip = gz.compress(b"\xb9\xa3") + gz.flush()
    for data in (deflate, gzip):
        with pytest.raises(StatusListMalformed):
            StatusList.decode({"bits": 1, "lst": b64u_encode(data)})


@pytest.mark.parametrize("cut", [1, 2, 4, 8])
def test_decode_refuses_truncated_zlib(cut: int) -> None:
    full = zlib.compress(bytes(range(256)) * 4, 9)
    with pytest.raises(StatusListMalformed):
        StatusList.decode({"bits": 8, "lst": b64u_encode(full[:-cut])})


def test_decode_refuses_data_after_the_zlib_stream() -> None:
    data = zlib.compress(b"\xb9\xa3", 9) + b"\x00"
    with pytest.raises(StatusListMalformed):
        StatusList.decode({"bits": 1, "lst": b64u_encode(data)})


def test_zlib_bomb_is_refused_without_inflating_it() -> None:
    # 64 MiB of zeros compresses to ~64 KB; the default limit (2^24 one-bit entries = 2 MiB)
    # stops inflation at 2 MiB + 1 byte: peak memory stays near the limit, not the bomb.
    c = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    bomb = b"".join(c.compress(chunk) for _ in range(64)) + c.flush()
    del chunk
    assert len(bomb) < 100_000
    obj = {"bits": 1, "lst": b64u_encode(bomb)}
    tracemalloc.start()
    try:
        with pytest.raises(StatusListTooLarge) as exc:
            StatusList.decode(obj)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert exc.value.code == "status_list_too_large"
    assert peak < 8 * 2**20


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_max_size_is_inclusive_and_one_byte_more_is_refused(bits: int) -> None:
    per_byte = 8 // bits
    at_limit = {"bits": bits, "lst": _lst(bytes(100))}
    assert StatusList.decode(at_limit, max_size=100 * per_byte).size == 100 * per_byte
    with pytest.raises(StatusListTooLarge):
        StatusList.decode(at_limit, max_size=99 * per_byte)
    over = {"bits": bits, "lst": _lst(bytes(101))}
    with pytest.raises(StatusListTooLarge):
        StatusList.decode(over, max_size=100 * per_byte)


def test_default_max_size_admits_the_appendix_c_size_of_every_width() -> None:
    assert DEFAULT_MAX_SIZE >= 2**20
    sl = StatusList.decode({"bits": 8, "lst": _lst(bytes(2**20))})
    assert sl.size == 2**20


def test_equality_compares_content() -> None:
    a, b = StatusList(2, 8), StatusList(2, 8)
    assert a == b
    b.set(3, 2)
    assert a != b
    assert StatusList(1, 8) != StatusList(2, 4)
    assert a != object()


# --- property: a model list survives set/get and encode/decode -----------------------------


@st.composite
def _ops(draw: st.DrawFn) -> tuple[int, int, list[tuple[int, int]]]:
    bits = draw(st.sampled_from([1, 2, 4, 8]))
    size = draw(st.integers(min_value=1, max_value=300))
    ops = draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, (1 << bits) - 1)),
                        max_size=200))
    return bits, size, ops


@settings(max_examples=200, deadline=None)
@given(_ops())
def test_property_set_get_encode_decode_match_a_list_model(
    case: tuple[int, int, list[tuple[int, int]]],
) -> None:
    bits, size, ops = case
    model = [0] * size
    sl = StatusList(bits, size)
    for idx, value in ops:
        sl.set(idx, value)
        model[idx] = value
        assert sl.get(idx) == value
    assert [sl.get(i) for i in range(size)] == model
    decoded = StatusList.decode(sl.encode())
    # the decoded list holds whole bytes: the padding entries after ``size`` are VALID
    assert decoded.size == -(-size * bits // 8) * (8 // bits)
    assert [decoded.get(i) for i in range(size)] == model
    assert all(decoded.get(i) == 0 for i in range(size, decoded.size))
