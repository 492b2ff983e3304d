"""atheris target: the SD-JWT(+KB) verifier (``core.credential.verify``, RFC 9901 §7).

Input modes (first byte): 0 — the rest is a presentation, verified with key binding
(seeded with valid ones, so mutations start from something that verifies); 1 — the rest is
``payload~disclosure~...`` as raw JSON, which the target signs with the trusted issuer key
after adding every disclosure's digest to ``_sd``, so the fuzzer works past the signature
on the digest walk, the claim checks and the limits.

    fuzz/run.sh 60 sdjwt                # or: .venv/bin/python fuzz/fuzz_sdjwt.py DIR
"""

from __future__ import annotations

import atheris

with atheris.instrument_imports(include=["core"]):
    import orjson

    from core.credential import StaticKeys, issue, present, verify
    from core.credential._common import digest
    from core.errors import ELicenseError
    from core.jose import b64u_encode

from _harness import AUD, ISS, NONCE, NOW, VCT, fixed_signer, run

ISSUER, HOLDER = fixed_signer(0x1550E5), fixed_signer(0x401DE5)
KEYS = StaticKeys({ISS: {"keys": [ISSUER.public_jwk()]}})
HEADER = b64u_encode(orjson.dumps({"alg": "ES256", "kid": ISSUER.kid, "typ": "dc+sd-jwt"}))


def _signed(data: bytes) -> str:
    payload_raw, *disclosures_raw = data.split(b"~")
    disclosures = [b64u_encode(d) for d in disclosures_raw]
    try:
        payload = orjson.loads(payload_raw)
    except orjson.JSONDecodeError:
        payload = None
    if isinstance(payload, dict):
        payload.setdefault("_sd", [digest(d) for d in disclosures])
        payload_raw = orjson.dumps(payload)
    signing_input = HEADER + "." + b64u_encode(payload_raw)
    jwt = signing_input + "." + b64u_encode(ISSUER.sign(signing_input.encode()))
    return jwt + "~" + "".join(d + "~" for d in disclosures)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    try:
        if data[0] == 1:
            verify(_signed(data[1:]), keys=KEYS, key_binding=False, now=NOW)
        else:
            verify(data[1:].decode("utf-8", "replace"), keys=KEYS, key_binding=True, now=NOW,
                   nonce=NONCE, aud=AUD)
    except ELicenseError:
        pass


def seeds() -> list[bytes]:
    claims = {"name": "Ana", "address": {"street": "x", "city": "y"}, "nats": ["CN", "FR"]}
    token = issue(signer=ISSUER, iss=ISS, vct=VCT, claims=claims,
                  sd=["name", "address", "address.street", "nats.0"],
                  holder_jwk=HOLDER.public_jwk(), iat=NOW - 10, decoys=2)
    shown = present(token, disclose=["name", "address.street", "nats.0"], holder=HOLDER,
                    nonce=NONCE, aud=AUD, iat=NOW)
    payload = orjson.dumps({"iss": ISS, "iat": NOW, "vct": VCT, "list": [{"...": "x"}]})
    return [b"\0" + shown.encode(), b"\1" + payload + b'~["salt-salt-salt","name","Ana"]',
            b"\1" + payload + b'~["salt-salt-salt","FR"]']


if __name__ == "__main__":
    run(test_one_input, seeds)
