"""core.qr's public surface: a tested ``__all__`` holding the contract names
(docs/team-contracts.md), and every error in the one ``core.errors`` tree."""

from __future__ import annotations

import core.qr
from core.errors import ELicenseError, MalformedError, PayloadTooLarge, error_codes

CONTRACT = {"encode_offline", "decode_offline", "new_online_token", "parse_online",
            "render_png", "render_svg", "decode_image"}


def test_all_is_exact_and_importable() -> None:
    assert set(core.qr.__all__) >= CONTRACT
    assert sorted(core.qr.__all__) == core.qr.__all__
    for name in core.qr.__all__:
        assert getattr(core.qr, name) is not None
    public = {n for n in dir(core.qr) if not n.startswith("_")} - {"annotations", "errors"}
    assert public == set(core.qr.__all__)


def test_errors_are_in_the_tree_with_unique_codes() -> None:
    from core.qr import errors

    codes = error_codes()
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, MalformedError | PayloadTooLarge)
        assert issubclass(cls, ELicenseError)
        assert codes[cls.code] is cls
        assert cls.code.startswith("qr_")
