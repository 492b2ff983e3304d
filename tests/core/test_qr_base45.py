"""Base45 (RFC 9285) as used by ELV1: the RFC's examples, strict decoding, round trip."""

from __future__ import annotations

import pytest
from hypothesis import given
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
