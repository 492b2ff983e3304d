"""Every size an attacker controls has a limit at the core level (issue 7; docs/security.md
"Limits"): just under it is accepted, just over it refused with its own code, quickly.

Credential limits are ``core.credential.Limits``; QR limits the ``max_*`` arguments of
``core.qr``; status list limits ``max_size`` of ``core.statuslist``.
"""

from __future__ import annotations

import base64
import io
import json
import secrets
import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from core.credential import Limits, issue, present
from core.credential._common import digest
from core.jose import b64u_encode, json_loads, json_loads_object, parse_compact
from core.qr import (
    MAX_DECOMPRESSED,
    MAX_PAYLOAD,
    decode_image,
    decode_offline,
    encode_offline,
    render_png,
)
from core.qr._base45 import b45encode
from core.qr._dictionary import DICTIONARY
from core.qr._packing import pack
from core.statuslist import StatusList, sign_status_list_token, verify_status_list_token
from tests.security.forge import (
    HOLDER,
    ISS,
    ISSUER,
    KEYS,
    NOW,
    VCT_A,
    code_of,
    disc,
    hdr,
    kb,
    raw_jws,
    referenced,
    run,
    sd_jwt,
    under,
    verify_code,
)

DEFAULT = Limits()


# --- presentation length --------------------------------------------------------------

def test_presentation_length_limit() -> None:
    token = referenced([disc("salt-salt-salt-1", "name", "Ana")])
    assert run(token, limits=Limits(presentation=len(token))).claims["name"] == "Ana"
    assert verify_code(token, limits=Limits(presentation=len(token) - 1)) == \
        "presentation_too_large"


def test_default_presentation_limit_is_checked_before_parsing() -> None:
    with under(0.5):
        assert verify_code("a" * (DEFAULT.presentation + 1)) == "presentation_too_large"
    # just at the limit the text is parsed (and refused as what it is)
    assert verify_code("a" * DEFAULT.presentation) == "malformed"


def test_online_presentation_with_a_full_size_portrait_fits_the_defaults() -> None:
    """The issuer accepts portraits of up to 64 KiB: the defaults must let them through."""
    portrait = base64.b64encode(secrets.token_bytes(64 * 1024)).decode()
    token = issue(signer=ISSUER, iss=ISS, vct=VCT_A, claims={"name": "Ana", "portrait": portrait},
                  sd=["name", "portrait"], holder_jwk=HOLDER.public_jwk(), iat=NOW - 10)
    shown = present(token, disclose=["name", "portrait"], holder=HOLDER, nonce="n", aud="a",
                    iat=NOW)
    assert run(shown, key_binding=True, nonce="n", aud="a").claims["portrait"] == portrait


# --- number and size of disclosures ---------------------------------------------------

def test_number_of_disclosures_limit() -> None:
    disclosures = [disc(f"salt-{i:012d}", f"c{i}", i) for i in range(DEFAULT.disclosures + 1)]
    at_limit = referenced(disclosures[:-1])
    assert len(run(at_limit).claims) > DEFAULT.disclosures
    with under(0.5):
        assert verify_code(referenced(disclosures)) == "too_many_disclosures"


def test_number_of_disclosures_is_counted_before_any_signature_work() -> None:
    text = sd_jwt([]) + "x~" * (DEFAULT.disclosures + 1)
    assert verify_code(text) == "too_many_disclosures"


def test_disclosure_size_limit() -> None:
    d = disc("salt-salt-salt-1", "name", "A" * 1000)
    token = referenced([d])
    assert run(token, limits=Limits(disclosure=len(d))).claims["name"] == "A" * 1000
    assert verify_code(token, limits=Limits(disclosure=len(d) - 1)) == "disclosure_too_large"


def test_default_disclosure_size_limit() -> None:
    # base64url of a JSON array [salt, name, value]; find the value length that lands exactly
    prefix = len(json.dumps(["salt-salt-salt-1", "x", ""]).encode())
    raw_at_limit = DEFAULT.disclosure * 3 // 4  # base64url of n bytes: 4n/3 characters
    d_ok = disc("salt-salt-salt-1", "x", "A" * (raw_at_limit - prefix))
    assert len(d_ok) == DEFAULT.disclosure
    assert run(referenced([d_ok])).claims["x"]
    d_over = disc("salt-salt-salt-1", "x", "A" * (raw_at_limit - prefix + 1))
    assert len(d_over) > DEFAULT.disclosure
    assert verify_code(referenced([d_over])) == "disclosure_too_large"


# --- JSON nesting ---------------------------------------------------------------------

def _nested(levels: int) -> object:
    value: object = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


def test_payload_nesting_limit() -> None:
    # the payload is level 0; ``deep`` holds ``levels`` nested objects
    assert run(sd_jwt([], deep=_nested(DEFAULT.depth))).claims["deep"]
    assert verify_code(sd_jwt([], deep=_nested(DEFAULT.depth + 1))) == "nesting_too_deep"


def test_disclosed_value_nesting_limit() -> None:
    # counted as if the value sat in the payload in place of its digest
    ok = disc("salt-salt-salt-1", "deep", _nested(DEFAULT.depth))
    assert run(referenced([ok])).claims["deep"]
    over = disc("salt-salt-salt-1", "deep", _nested(DEFAULT.depth + 1))
    assert verify_code(referenced([over])) == "nesting_too_deep"


def test_array_nesting_counts_too() -> None:
    deep: object = 1
    for _ in range(DEFAULT.depth + 1):
        deep = [deep]
    assert verify_code(sd_jwt([], deep=deep)) == "nesting_too_deep"
    assert run(sd_jwt([], deep=deep), limits=Limits(depth=DEFAULT.depth + 1)).claims["deep"]


BOMB = b"[" * 100_000


@pytest.mark.parametrize("where", ["header", "payload", "disclosure", "kb_jwt"])
def test_json_bomb_100k_deep_is_our_error_and_fast(where: str) -> None:
    """A 100 000-deep ``[[[...`` never reaches Python's recursion: orjson stops at 1024."""
    good_header = json.dumps(hdr()).encode()
    good_payload = json.dumps({"iss": ISS, "iat": NOW, "vct": VCT_A,
                               "cnf": {"jwk": HOLDER.public_jwk()}}).encode()
    if where == "header":
        text = raw_jws(BOMB, good_payload, ISSUER) + "~"
    elif where == "payload":
        text = raw_jws(good_header, BOMB, ISSUER) + "~"
    elif where == "disclosure":
        text = raw_jws(good_header, good_payload, ISSUER) + "~" + b64u_encode(BOMB) + "~"
    else:
        text = kb(sd_jwt([]))
        text = text[: text.rindex("~") + 1] + raw_jws(BOMB, b"{}", HOLDER)
    limits = Limits(disclosure=len(BOMB) * 2, kb_jwt=len(BOMB) * 2)
    with under(0.5):
        code = verify_code(text, key_binding=where == "kb_jwt", limits=limits)
    assert code == "nesting_too_deep"


@pytest.mark.parametrize("parse", [json_loads, json_loads_object])
def test_jose_json_bomb_is_our_error_and_fast(parse: Callable[[bytes], Any]) -> None:
    with under(0.5):
        assert code_of(lambda: parse(BOMB)) == "nesting_too_deep"
        assert code_of(lambda: parse(b'{"a":' * 100_000)) == "nesting_too_deep"


def test_jose_compact_parser_json_bomb() -> None:
    token = b64u_encode(BOMB) + ".e30.AA"
    with under(0.5):
        assert code_of(lambda: parse_compact(token)) == "nesting_too_deep"


# --- embedded digests -----------------------------------------------------------------

def test_number_of_digests_limit() -> None:
    decoys = [digest(f"decoy-{i}") for i in range(DEFAULT.digests)]
    assert run(sd_jwt([], _sd=decoys)).claims
    assert verify_code(sd_jwt([], _sd=[*decoys, digest("one-more")])) == "too_many_digests"


def test_digests_are_counted_over_the_whole_payload() -> None:
    half = DEFAULT.digests // 2
    top = [digest(f"top-{i}") for i in range(half)]
    arr = [{"...": digest(f"arr-{i}")} for i in range(half)]
    assert run(sd_jwt([], _sd=top, list=arr)).claims["list"] == []
    arr.append({"...": digest("one-more")})
    assert verify_code(sd_jwt([], _sd=top, list=arr)) == "too_many_digests"
    nested = {"_sd": [digest(f"n-{i}") for i in range(half + 1)]}
    assert verify_code(sd_jwt([], _sd=top, sub=nested)) == "too_many_digests"


# --- KB-JWT size ----------------------------------------------------------------------

def test_kb_jwt_size_limit() -> None:
    shown = kb(sd_jwt([]))
    kb_len = len(shown) - shown.rindex("~") - 1
    assert run(shown, key_binding=True, limits=Limits(kb_jwt=kb_len)).key_binding
    assert verify_code(shown, key_binding=True, limits=Limits(kb_jwt=kb_len - 1)) == \
        "kb_jwt_too_large"


def test_default_kb_jwt_size_limit() -> None:
    shown = kb(sd_jwt([]), pad="x" * DEFAULT.kb_jwt)
    assert verify_code(shown, key_binding=True) == "kb_jwt_too_large"


# --- QR envelope ----------------------------------------------------------------------

def _offline_text() -> str:
    return encode_offline(kb(referenced([disc("salt-salt-salt-1", "name", "Ana")])))


def test_qr_payload_length_limit() -> None:
    text = _offline_text()
    assert decode_offline(text, max_payload=len(text))
    assert code_of(lambda: decode_offline(text, max_payload=len(text) - 1)) == \
        "qr_payload_too_large"
    with under(0.5):
        assert code_of(lambda: decode_offline("ELV1:" + "0" * MAX_PAYLOAD)) == \
            "qr_payload_too_large"


def test_qr_decompressed_size_limit() -> None:
    shown = kb(referenced([disc("salt-salt-salt-1", "name", "Ana")]))
    text = encode_offline(shown)
    packed = len(pack(shown))
    assert decode_offline(text, max_decompressed=packed) == shown
    assert code_of(lambda: decode_offline(text, max_decompressed=packed - 1)) == \
        "qr_payload_too_large"


def test_qr_zlib_bomb() -> None:
    """A QR-sized text (≤ 4296 characters) that would inflate to megabytes."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zdict=DICTIONARY)
    bomb = deflater.compress(b"\0" * (2 << 20)) + deflater.flush()
    text = "ELV1:" + b45encode(bomb)
    assert len(text) <= MAX_PAYLOAD
    with under(0.5):
        assert code_of(lambda: decode_offline(text)) == "qr_payload_too_large"
    assert MAX_DECOMPRESSED < 2 << 20


def test_image_byte_limit() -> None:
    png = render_png(_offline_text())
    assert decode_image(png, max_bytes=len(png)).startswith("ELV1:")
    assert code_of(lambda: decode_image(png, max_bytes=len(png) - 1)) == "qr_image_too_large"


def test_image_pixel_limit() -> None:
    png = render_png(_offline_text())
    with Image.open(io.BytesIO(png)) as image:
        pixels = image.width * image.height
    assert decode_image(png, max_pixels=pixels).startswith("ELV1:")
    assert code_of(lambda: decode_image(png, max_pixels=pixels - 1)) == "qr_image_too_large"


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a ``width`` x ``height`` canvas in 70 bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b""))


def test_image_declaring_a_huge_canvas_is_refused_from_its_header() -> None:
    with under(0.5):
        assert code_of(lambda: decode_image(_png_header_only(100_000, 100_000))) == \
            "qr_image_too_large"


# --- status list ----------------------------------------------------------------------

def test_status_list_size_limit() -> None:
    token = sign_status_list_token(signer=ISSUER, sub="https://s/1", iss=ISS,
                                   status_list=StatusList(1, 1024), iat=NOW)
    assert verify_status_list_token(token, keys=KEYS, now=NOW, max_size=1024).get(1023) == 0
    # the list inflates in whole bytes: one byte less is 8 one-bit entries less
    assert code_of(lambda: verify_status_list_token(token, keys=KEYS, now=NOW,
                                                    max_size=1016)) == "status_list_too_large"


def test_status_list_zlib_bomb() -> None:
    """32 MiB of VALID in ~32 KB: inflation stops one byte past the default 16 MiB."""
    lst = b64u_encode(zlib.compress(b"\0" * (32 << 20), 9))
    with under(2.0):
        assert code_of(lambda: StatusList.decode({"bits": 8, "lst": lst})) == \
            "status_list_too_large"


def test_status_list_token_json_bomb() -> None:
    token = b64u_encode(BOMB) + "." + b64u_encode(b"{}") + ".AA"
    with under(0.5):
        assert code_of(lambda: verify_status_list_token(token, keys=KEYS, now=NOW)) == \
            "nesting_too_deep"
