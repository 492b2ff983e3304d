"""QR symbols (docs/qr-envelope.md §8): zxing-cpp draws them, zxing-cpp reads them back;
ECC M, 4-module quiet zone, alphanumeric mode for ELV1/ELR1; image decoding limits."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from core.errors import ELicenseError
from core.qr import (
    MAX_PAYLOAD,
    decode_image,
    new_online_token,
    qr_version,
    render_png,
    render_svg,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "qr"
ELV1 = json.loads((VECTORS / "worked_example.json").read_text(encoding="utf-8"))["elv1"]
HOTEL = json.loads((VECTORS / "hotel_checkin.json").read_text(encoding="utf-8"))["elv1"]

# ISO/IEC 18004 Table 7: alphanumeric-mode capacity (characters) at ECC M, versions 1..40;
# and byte-mode capacity at ECC M.
ALNUM_M = [20, 38, 61, 90, 122, 154, 178, 221, 262, 311, 366, 419, 483, 528, 600, 656, 734,
           816, 909, 970, 1035, 1134, 1248, 1326, 1451, 1542, 1637, 1732, 1839, 1994, 2113,
           2238, 2369, 2506, 2632, 2780, 2894, 3054, 3220, 3391]
BYTE_M = [14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504,
          560, 624, 666, 711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538,
          1628, 1722, 1809, 1911, 1989, 2099, 2213, 2331]


def _code(fn, *args, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ELicenseError) as info:
        fn(*args, **kw)
    return info.value.code


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("payload", [ELV1, HOTEL, "online"], ids=["elv1", "elv1-hotel", "elr1"])
def test_png_decodes_back_to_the_payload(payload: str) -> None:
    if payload == "online":
        payload = new_online_token()
    png = render_png(payload)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert decode_image(png) == payload
    # and the symbol is what the spec says: QR, ECC M, the version qr_version reports
    barcode = zxingcpp.read_barcode(Image.open(io.BytesIO(png)))
    assert barcode is not None
    assert barcode.format == zxingcpp.QRCode
    assert barcode.ec_level == "M"
    assert int(barcode.extra["Version"]) == qr_version(payload)


@pytest.mark.parametrize("scale", [1, 3, 6])
def test_png_has_a_four_module_quiet_zone(scale: int) -> None:
    payload = new_online_token()
    modules = 17 + 4 * qr_version(payload)
    image = Image.open(io.BytesIO(render_png(payload, scale=scale))).convert("L")
    assert image.size == ((modules + 8) * scale, (modules + 8) * scale)
    quiet = 4 * scale
    for box in [(0, 0, image.width, quiet), (0, 0, quiet, image.height),
                (image.width - quiet, 0, image.width, image.height),
                (0, image.height - quiet, image.width, image.height)]:
        assert image.crop(box).getextrema() == (255, 255)
    # the finder pattern's dark corner starts right after the quiet zone
    assert image.getpixel((quiet, quiet)) == 0
    assert image.getpixel((quiet - 1, quiet - 1)) == 255


@pytest.mark.parametrize("version", [1, 2, 9, 10, 22, 23, 25, 26, 40])
def test_elv1_alphabet_uses_alphanumeric_mode(version: int) -> None:
    """At each capacity boundary of alphanumeric mode the version steps exactly there,
    where byte mode could not hold the text (so the encoder never falls back to bytes)."""
    capacity = ALNUM_M[version - 1]
    text = ("ELV1:" + "AB$%*+-./: Z" * 400)[:capacity]
    assert qr_version(text) == version
    if version < 40:
        assert qr_version(text + "Q") == version + 1
    assert capacity > BYTE_M[version - 1]  # in byte mode it would not fit this version


def test_lowercase_would_need_byte_mode() -> None:
    text = "ELV1:" + "A" * (ALNUM_M[9] - 5)
    assert qr_version(text.lower()) > qr_version(text)


def test_svg_is_an_inline_scalable_element() -> None:
    payload = new_online_token()
    svg = render_svg(payload)
    assert svg.startswith("<svg ")
    root = ET.fromstring(svg)
    size = 17 + 4 * qr_version(payload) + 8
    assert root.get("viewBox") == f"0 0 {size} {size}"
    assert root.get("shape-rendering") == "crispEdges"
    paths = root.findall(".//{http://www.w3.org/2000/svg}path")
    assert paths and all(p.get("d") for p in paths)


@pytest.mark.parametrize(("args", "code"), [
    (("",), "qr_payload_invalid"),
    ((b"ELV1:",), "qr_payload_invalid"),
    (("A" * (MAX_PAYLOAD + 1),), "qr_payload_too_large"),
    (("a" * 3000,), "qr_payload_too_large"),  # byte mode: more than version 40-M holds
])
def test_render_errors(args: tuple, code: str) -> None:
    for fn in (render_png, render_svg, qr_version):
        assert _code(fn, *args) == code


def test_render_png_scale_is_bounded() -> None:
    assert _code(render_png, ELV1, scale=0) == "qr_payload_invalid"
    assert _code(render_png, ELV1, scale=33) == "qr_payload_invalid"


# --- decode_image --------------------------------------------------------------------


def test_jpeg_photo_like_image_decodes() -> None:
    qr = Image.open(io.BytesIO(render_png(ELV1, scale=5))).convert("L")
    canvas = Image.new("L", (qr.width + 300, qr.height + 200), 200)
    canvas.paste(qr, (170, 60))
    buf = io.BytesIO()
    canvas.rotate(8, expand=True, fillcolor=200).save(buf, format="JPEG", quality=85)
    assert decode_image(buf.getvalue()) == ELV1


def test_image_errors_have_codes() -> None:
    assert _code(decode_image, b"") == "qr_image_invalid"
    assert _code(decode_image, b"hello, not an image") == "qr_image_invalid"
    assert _code(decode_image, "not bytes") == "qr_image_invalid"
    png = render_png(ELV1)
    assert _code(decode_image, png[: len(png) // 2]) == "qr_image_invalid"  # truncated
    gif = io.BytesIO()
    Image.open(io.BytesIO(png)).save(gif, format="GIF")
    assert _code(decode_image, gif.getvalue()) == "qr_image_invalid"  # PNG/JPEG only
    blank = _png(Image.new("L", (200, 200), 255))
    assert _code(decode_image, blank) == "qr_not_found"
    assert _code(decode_image, png, max_bytes=len(png) - 1) == "qr_image_too_large"
    assert decode_image(png, max_bytes=len(png)) == ELV1


def test_pixel_limit_is_checked_before_decoding() -> None:
    huge = _png(Image.new("1", (6000, 5000), 1))  # 30 MP, a few KB on disk
    assert len(huge) < 100_000
    assert _code(decode_image, huge) == "qr_image_too_large"
    png = render_png(ELV1)
    w, h = Image.open(io.BytesIO(png)).size
    assert _code(decode_image, png, max_pixels=w * h - 1) == "qr_image_too_large"
    assert decode_image(png, max_pixels=w * h) == ELV1


def test_decompression_bomb_png_is_too_large() -> None:
    bomb = _png(Image.new("1", (20_000, 20_000), 1))  # 400 MP: Pillow's own limit too
    assert _code(decode_image, bomb, max_pixels=10**12) == "qr_image_too_large"


PNG = render_png(new_online_token(), scale=2)


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    st.binary(max_size=400),
    st.binary(max_size=400).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
    st.binary(max_size=400).map(lambda b: b"\xff\xd8\xff" + b),
    st.tuples(st.integers(0, len(PNG) - 1), st.integers(0, 255)).map(
        lambda t: PNG[: t[0]] + bytes([t[1]]) + PNG[t[0] + 1 :]),
))
def test_no_image_raises_anything_but_a_typed_error(data: bytes) -> None:
    try:
        assert isinstance(decode_image(data), str)
    except ELicenseError as exc:
        assert exc.code in {"qr_image_invalid", "qr_image_too_large", "qr_not_found"}
