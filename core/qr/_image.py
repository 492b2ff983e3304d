"""Reading a QR code from a photo or screenshot (DESIGN §7 ``verify-image``).

Pillow opens PNG or JPEG only; the byte size and the pixel count are checked *before* the
pixels are decoded (Pillow reads only the header in ``open``), so a small file that
declares a huge canvas is refused cheaply. zxing-cpp then looks for one QR code. Every
Pillow / zxing failure becomes a ``core.qr.errors`` error here.
"""

from __future__ import annotations

import io
import struct
import zlib

import zxingcpp
from PIL import Image

from core.qr.errors import QrImageInvalid, QrImageTooLarge, QrNotFound

__all__ = ["MAX_IMAGE_BYTES", "MAX_IMAGE_PIXELS", "decode_image"]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 25_000_000  # a 12 MP phone photo fits twice over
_PIL_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error,
               Image.DecompressionBombError, Image.DecompressionBombWarning)


def decode_image(
    data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS
) -> str:
    """The text of the QR code in a PNG or JPEG image."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise QrImageInvalid("image must be bytes")
    if len(data) > max_bytes:
        raise QrImageTooLarge(f"image over {max_bytes} bytes")
    try:
        with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
            if image.width * image.height > max_pixels:
                raise QrImageTooLarge(f"image over {max_pixels} pixels")
            gray = image.convert("L")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses > 2 x its MAX_IMAGE_PIXELS itself and warns above it (an error
        # where warnings are errors); no catch_warnings here: it is not thread-safe.
        raise QrImageTooLarge("image over Pillow's pixel limit") from exc
    except _PIL_ERRORS as exc:
        raise QrImageInvalid("not a readable PNG or JPEG image") from exc
    barcode = zxingcpp.read_barcode(gray, formats=zxingcpp.BarcodeFormats(zxingcpp.QRCode))
    if barcode is None or not barcode.valid:
        raise QrNotFound()
    return barcode.text
