"""``elicense qr``: look inside QR payloads (DESIGN §4 contract: ``elicense qr decode``).

``decode IMAGE_OR_TEXT`` takes a PNG/JPEG file, a text file holding the payload, or the
payload text itself, and prints the compact SD-JWT+KB inside an ``ELV1:`` payload (for an
``ELR1:`` payload, the one-time token). On failure it prints the stable error code to
stderr and exits 1.
"""

from __future__ import annotations

from pathlib import Path

import typer

from core.errors import BadRequest, ELicenseError
from core.qr import MAX_IMAGE_BYTES, decode_image, parse_payload
from core.qr.errors import QrImageTooLarge

__all__ = ["app", "read_argument"]

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="QR envelopes: ELV1 offline presentations, ELR1 online tokens.")


@app.callback()
def _group() -> None:
    """QR envelopes: ELV1 offline presentations, ELR1 online tokens."""


_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
_PREFIXES = ("ELV1:", "ELR1:")


def read_argument(arg: str) -> str:
    """The QR payload text named by ``arg``: an image file, a text file, or the text."""
    if arg.startswith(_PREFIXES):
        return arg
    path = Path(arg)
    try:
        is_file = path.is_file()
    except OSError:  # e.g. a payload too long to be a file name
        is_file = False
    if not is_file:
        return arg
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        raise BadRequest(f"cannot read {arg}: {exc.strerror}") from exc
    if data.startswith(_IMAGE_MAGIC):
        if len(data) > MAX_IMAGE_BYTES:
            raise QrImageTooLarge(f"image over {MAX_IMAGE_BYTES} bytes")
        return decode_image(data)
    # only line ends and a BOM: never a base45 character (the space is one)
    return data.decode("utf-8", errors="replace").strip("\r\n\ufeff")


@app.command()
def decode(
    image_or_text: str = typer.Argument(
        ..., metavar="IMAGE_OR_TEXT",
        help="PNG/JPEG file, text file, or the ELV1:/ELR1: payload itself."),
) -> None:
    """Print the compact SD-JWT+KB inside an ELV1: payload (or the ELR1: token)."""
    try:
        kind, value = parse_payload(read_argument(image_or_text))
    except ELicenseError as exc:
        typer.echo(f"error: {exc.code}: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    if kind == "online":
        typer.echo("ELR1 one-time token (redeem it at the wallet):", err=True)
    typer.echo(value)
