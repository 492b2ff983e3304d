"""QR symbols for the wallet's screen (docs/qr-envelope.md §8), drawn by zxing-cpp.

QR Model 2, error correction M, a 4-module quiet zone, the smallest version that fits.
``ELV1:``/``ELR1:`` texts use only the 45 characters of the alphanumeric mode, so the
encoder packs them 11 bits per two characters instead of 8 bits per character.
zxing-cpp failures (text too long for version 40) are translated here.
"""

from __future__ import annotations

import re

import zxingcpp
from PIL import Image

from core.qr._envelope import MAX_PAYLOAD
from core.qr.errors import QrPayloadInvalid, QrPayloadTooLarge

__all__ = ["ECC_LEVEL", "QUIET_ZONE", "qr_version", "render_png", "render_svg"]

ECC_LEVEL = "M"
QUIET_ZONE = 4  # modules; what zxing-cpp (zint) adds with add_quiet_zones=True
_SVG_OPEN = re.compile(r'<svg width="(\d+)" height="(\d+)"')


def _barcode(payload: str) -> zxingcpp.Barcode:
    if not isinstance(payload, str) or not payload:
        raise QrPayloadInvalid("QR payload must be non-empty text")
    if len(payload) > MAX_PAYLOAD:
        raise QrPayloadTooLarge(f"QR payload over {MAX_PAYLOAD} characters")
    try:
        return zxingcpp.create_barcode(payload, zxingcpp.QRCode, ec_level=ECC_LEVEL)
    except (ValueError, RuntimeError) as exc:
        raise QrPayloadTooLarge("payload does not fit in a QR code at ECC M") from exc


def qr_version(payload: str) -> int:
    """The QR version (1–40) ``payload`` is rendered at."""
    size = _barcode(payload).to_image(scale=1, add_quiet_zones=False).shape[0]
    return (size - 17) // 4


def render_png(payload: str, *, scale: int = 4) -> bytes:
    """A grayscale PNG, ``scale`` pixels per module, quiet zone included."""
    import io

    if not 1 <= scale <= 32:
        raise QrPayloadInvalid("scale must be 1..32")
    image = _barcode(payload).to_image(scale=scale, add_quiet_zones=True)
    pil = Image.fromarray(image)  # via __array_interface__, no numpy needed
    buf = io.BytesIO()
    # compress_level 1: half the time of 6 for ~10 % more bytes on a ~2.5 KB PNG
    pil.convert("1", dither=Image.Dither.NONE).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def render_svg(payload: str) -> str:
    """An inline ``<svg>`` element (no XML prolog), one user unit per module, scalable."""
    svg = _barcode(payload).to_svg(scale=1, add_quiet_zones=True)
    start = svg.index("<svg")
    return _SVG_OPEN.sub(
        r'<svg viewBox="0 0 \1 \2" width="\1" height="\2" shape-rendering="crispEdges"',
        svg[start:].strip(),
        count=1,
    )
