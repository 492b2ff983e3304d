"""Base45 (RFC 9285) as used by ELV1: the RFC's examples, strict decoding, round trip, and
the fast decoder held to a plain one on any text."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.qr._base45 import ALPHABET, b45decode, b45encode
from core.qr.errors import QrPayloadInvalid

# RFC 9285 §4.3 and §4.4
RFC_EXAMPLES = [(b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"),
                (b"ietf!", "QED8WEX0"), (b"", "")]


@pytest.mark.parametrize(("raw", "text"), RFC_EXAMPLES)
def test_rfc9285_examples(raw: bytes, text: str) -> None:
    assert b45encode(raw) == text
    assert b45decode(text) == raw


def test_alphabet_is_the_qr_alphanumeric_set() -> None:
    assert ALPHABET == "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


@pytest.mark.parametrize("text", [
    "A",          # length 1 mod 3
    "BB8A",       # length 1 mod 3
    "bb8",        # lowercase is not in the alphabet
    "BB\u00e9",   # non-ASCII
    "GGW",        # 65535 + 1 = 65536 > 65535 (RFC 9285 §6)
    "::",         # 44 + 44*45 = 2024 > 255 for a final pair
])
def test_invalid_base45_is_refused(text: str) -> None:
    with pytest.raises(QrPayloadInvalid) as info:
        b45decode(text)
    assert info.value.code == "qr_payload_invalid"


def test_largest_triple_and_pair_are_accepted() -> None:
    assert b45decode(b45encode(b"\xff\xff")) == b"\xff\xff"
    assert b45encode(b"\xff\xff") == "FGW"
    assert b45decode("FGW") == b"\xff\xff"
    assert b45decode("U5") == b"\xff"


@given(st.binary(max_size=300))
def test_round_trip(data: bytes) -> None:
    text = b45encode(data)
    assert set(text) <= set(ALPHABET)
    assert b45decode(text) == data


@given(st.binary(max_size=300))
def test_agrees_with_a_second_implementation(data: bytes) -> None:
    """The PyPI ``base45`` package (an independent RFC 9285 implementation)."""
    import base45

    assert base45.b45encode(data).decode("ascii") == b45encode(data)
    assert b45decode(base45.b45encode(data).decode("ascii")) == data


# --- the fast decoder against the plain one ----------------------------------------------
# b45decode works on the whole text at once (bytes.translate, one big integer with a lane per
# triple). This is the straightforward decoder it replaced, kept here as the reference: the
# two must give the same bytes, or the same error with the same detail, for any text.

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def _reference_b45decode(text: str) -> bytes:
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


def _outcome(decode: Callable[[str], bytes], text: str) -> tuple[str, object]:
    try:
        return "ok", decode(text)
    except QrPayloadInvalid as exc:
        return type(exc).__name__, exc.detail


def _with_one_char(data: bytes, pos: int, ch: str) -> str:
    text = b45encode(data)
    if not text:
        return ch
    pos %= len(text)
    return text[:pos] + ch + text[pos + 1 :]


@settings(max_examples=600)
@given(st.one_of(
    st.text(alphabet=ALPHABET, max_size=60),          # mostly triples over 65535 at the end
    st.text(alphabet=ALPHABET[:36], max_size=60),     # digits and letters: no overflow
    st.text(alphabet=ALPHABET + "abz\x00\x7f\xff\u00e9\u4e2d\ud800", max_size=30),
    st.text(max_size=30),
    st.builds(_with_one_char, st.binary(max_size=40), st.integers(0, 100),
              st.sampled_from([*ALPHABET[-9:], "W", "a", "\xff", "\ud800"])),
))
@example("")
@example("FGW")        # 65535: the largest triple
@example("GGW")        # 65536
@example("U5")         # 255: the largest pair
@example("V5")         # 256
@example("GGWV5")      # triple and pair both over: the triple is reported
@example("GGWa")       # length 1 mod 3 wins over an outside character
@example("GGWa5")      # an outside character wins over a triple over 65535
@example("%69 VD92EX0")
def test_fast_decoder_agrees_with_the_plain_one(text: str) -> None:
    expected = _outcome(_reference_b45decode, text)
    assert _outcome(b45decode, text) == expected
    if expected[0] == "ok":
        assert b45encode(b45decode(text)) == text  # strict: exactly one encoding


@settings(max_examples=200)
@given(st.binary(max_size=4000))
def test_fast_decoder_round_trips_long_inputs(data: bytes) -> None:
    """Up to a whole ELV1 payload (4296 characters) and a little more."""
    text = b45encode(data)
    assert b45decode(text) == data == _reference_b45decode(text)
