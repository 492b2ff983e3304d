"""QR envelope codec (DESIGN §4; spec: docs/qr-envelope.md).

``ELV1:`` carries a whole offline SD-JWT+KB presentation as base45(zlib(binary packing)) in
QR alphanumeric mode; ``ELR1:`` carries a one-time token the verifier redeems online.
Rendering and image decoding use zxing-cpp. Errors: ``core.qr.errors``.
"""

from __future__ import annotations

from core.qr._envelope import (
    MAX_DECOMPRESSED,
    MAX_PAYLOAD,
    OFFLINE_PREFIX,
    ONLINE_PREFIX,
    decode_offline,
    encode_offline,
    new_online_token,
    parse_online,
    parse_payload,
)
from core.qr._image import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, decode_image
from core.qr._render import qr_version, render_png, render_svg
from core.qr.errors import (
    QrImageInvalid,
    QrImageTooLarge,
    QrNotFound,
    QrPayloadInvalid,
    QrPayloadTooLarge,
    QrPrefixUnknown,
)

__all__ = [
    "MAX_DECOMPRESSED",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MAX_PAYLOAD",
    "OFFLINE_PREFIX",
    "ONLINE_PREFIX",
    "QrImageInvalid",
    "QrImageTooLarge",
    "QrNotFound",
    "QrPayloadInvalid",
    "QrPayloadTooLarge",
    "QrPrefixUnknown",
    "decode_image",
    "decode_offline",
    "encode_offline",
    "new_online_token",
    "parse_online",
    "parse_payload",
    "qr_version",
    "render_png",
    "render_svg",
]
