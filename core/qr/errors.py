"""Errors of the QR envelope (docs/qr-envelope.md §7), in the ``core.errors`` tree.

    MalformedError (422)
    ├── QrPrefixUnknown        qr_prefix_unknown    text is neither ``ELV1:`` nor ``ELR1:``
    ├── QrPayloadInvalid       qr_payload_invalid   bad base45 / zlib / binary packing / token
    ├── QrImageInvalid         qr_image_invalid     bytes are not a PNG/JPEG image we read
    └── QrNotFound             qr_not_found         no QR code found in the image
    PayloadTooLarge (413)
    ├── QrPayloadTooLarge      qr_payload_too_large text or inflated packing over the limit
    └── QrImageTooLarge        qr_image_too_large   image bytes or pixel dimensions over the limit
"""

from __future__ import annotations

from core.errors import MalformedError, PayloadTooLarge

__all__ = [
    "QrImageInvalid",
    "QrImageTooLarge",
    "QrNotFound",
    "QrPayloadInvalid",
    "QrPayloadTooLarge",
    "QrPrefixUnknown",
]


class QrPrefixUnknown(MalformedError):
    code = "qr_prefix_unknown"
    title = "QR payload prefix is not ELV1: or ELR1:"


class QrPayloadInvalid(MalformedError):
    code = "qr_payload_invalid"
    title = "QR payload cannot be decoded"


class QrImageInvalid(MalformedError):
    code = "qr_image_invalid"
    title = "Image cannot be read"


class QrNotFound(MalformedError):
    code = "qr_not_found"
    title = "No QR code found in the image"


class QrPayloadTooLarge(PayloadTooLarge):
    code = "qr_payload_too_large"
    title = "QR payload larger than allowed"


class QrImageTooLarge(PayloadTooLarge):
    code = "qr_image_too_large"
    title = "Image larger than allowed"
