"""atheris target: the QR envelope parser (``core.qr.parse_payload``, docs/qr-envelope.md).

Input modes (first byte): 0 — the rest as text straight to ``parse_payload``; 1 — the rest
is a packing, deflated with the preset dictionary and base45-encoded, so libFuzzer's
mutations reach the binary unpacking behind zlib. Whatever decodes is also verified.

    fuzz/run.sh 60 qr_envelope          # or: .venv/bin/python fuzz/fuzz_qr_envelope.py DIR
"""

from __future__ import annotations

import zlib

import atheris

with atheris.instrument_imports(include=["core"]):
    from core.credential import StaticKeys, issue, present, verify
    from core.errors import ELicenseError
    from core.qr import encode_offline, parse_payload
    from core.qr._base45 import b45encode
    from core.qr._dictionary import DICTIONARY
    from core.qr._packing import pack

from _harness import AUD, ISS, NONCE, NOW, VCT, fixed_signer, run

ISSUER, HOLDER = fixed_signer(0x1550E5), fixed_signer(0x401DE5)
KEYS = StaticKeys({ISS: {"keys": [ISSUER.public_jwk()]}})


def _deflate(packed: bytes) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zdict=DICTIONARY)
    return z.compress(packed) + z.flush()


def test_one_input(data: bytes) -> None:
    if not data:
        return
    if data[0] == 1:
        text = "ELV1:" + b45encode(_deflate(data[1:]))
    else:
        text = data[1:].decode("utf-8", "replace")
    try:
        kind, content = parse_payload(text)
        if kind == "offline":
            verify(content, keys=KEYS, key_binding=True, now=NOW, nonce=NONCE, aud=AUD)
    except ELicenseError:
        pass


def seeds() -> list[bytes]:
    token = issue(signer=ISSUER, iss=ISS, vct=VCT, claims={"name": "Ana", "age_over_18": True},
                  sd=["name", "age_over_18"], holder_jwk=HOLDER.public_jwk(), iat=NOW - 10)
    shown = present(token, disclose=["name"], holder=HOLDER, nonce=NONCE, aud=AUD, iat=NOW)
    return [b"\0" + encode_offline(shown).encode(), b"\1" + pack(shown),
            b"\0ELR1:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"]


if __name__ == "__main__":
    run(test_one_input, seeds)
