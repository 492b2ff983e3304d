"""atheris target: Status List Tokens (``core.statuslist.verify_status_list_token``,
draft-ietf-oauth-status-list §5.1, §8.3) and the list decoder behind them (§4.1, bounded
zlib).

Input modes (first byte): 0 — the rest is a token verified against the issuer's key; 1 —
the rest is a JWT payload (raw JSON) the target signs as a ``statuslist+jwt`` with the
trusted key, so mutations reach the claim checks and the zlib inflater; 2 — the rest is a
zlib stream decoded as a 1-bit list of at most 4 096 entries.

    fuzz/run.sh 60 statuslist           # or: .venv/bin/python fuzz/fuzz_statuslist.py DIR
"""

from __future__ import annotations

import zlib

import atheris

with atheris.instrument_imports(include=["core"]):
    import orjson

    from core.credential import StaticKeys
    from core.errors import ELicenseError
    from core.jose import b64u_encode
    from core.statuslist import StatusList, sign_status_list_token, verify_status_list_token

from _harness import ISS, NOW, fixed_signer, run

ISSUER = fixed_signer(0x1550E5)
KEYS = StaticKeys({ISS: {"keys": [ISSUER.public_jwk()]}})
HEADER = b64u_encode(orjson.dumps({"alg": "ES256", "kid": ISSUER.kid, "typ": "statuslist+jwt"}))
SUB = "https://city.example/issuer/status-lists/1"


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, rest = data[0], data[1:]
    try:
        if mode == 2:
            StatusList.decode({"bits": 1, "lst": b64u_encode(rest)}, max_size=4096)
            return
        if mode == 1:
            signing_input = HEADER + "." + b64u_encode(rest)
            token = signing_input + "." + b64u_encode(ISSUER.sign(signing_input.encode()))
        else:
            token = rest.decode("utf-8", "replace")
        verify_status_list_token(token, keys=KEYS, now=NOW, iss=ISS, sub=SUB,
                                 max_size=1 << 16).get(7)
    except ELicenseError:
        pass


def seeds() -> list[bytes]:
    status = StatusList(2, 64)
    status.set(7, 1)
    token = sign_status_list_token(signer=ISSUER, sub=SUB, iss=ISS, status_list=status,
                                   iat=NOW - 10, exp=NOW + 3600, ttl=300)
    payload = orjson.dumps({"sub": SUB, "iss": ISS, "iat": NOW, "status_list":
                            {"bits": 1, "lst": b64u_encode(zlib.compress(b"\x80" * 4))}})
    return [b"\0" + token.encode(), b"\1" + payload, b"\2" + zlib.compress(bytes(64))]


if __name__ == "__main__":
    run(test_one_input, seeds)
