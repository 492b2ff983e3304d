"""Hand-forged tokens for the hostile-input tests (issue 7): real keys, real signatures,
each helper changes exactly what a test names. Not a test module itself."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from core.credential import StaticKeys, verify
from core.credential._common import digest
from core.errors import ELicenseError
from core.jose import b64u_encode
from core.signing import Signer
from keys.software import generate_signer

ISS = "https://city.example/issuer"
VCT_A = "https://city.example/issuer/vct/id_card"
VCT_B = "https://city.example/issuer/vct/driving_license"
NOW = 1_790_000_000
NONCE, AUD = "nonce-123", "https://verifier.example/verifier/orgs/1"
ISSUER = generate_signer("ES256")
ISSUER_ED = generate_signer("EdDSA")
ATTACKER = generate_signer("ES256")
HOLDER = generate_signer("ES256")
KEYS = StaticKeys({ISS: {"keys": [ISSUER.public_jwk()]}})


def enc(obj: Any) -> bytes:
    """Any JSON value, big integers included (orjson stops at 64 bits; a forger does not)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def jws(header: dict[str, Any], payload: dict[str, Any], signer: Signer) -> str:
    """Sign exactly this header (no alg/kid added) over exactly this payload."""
    si = b64u_encode(enc(header)) + "." + b64u_encode(enc(payload))
    return si + "." + b64u_encode(signer.sign(si.encode()))


def raw_jws(header: bytes, payload: bytes, signer: Signer) -> str:
    """Sign header and payload given as raw JSON bytes (for deep or odd JSON)."""
    si = b64u_encode(header) + "." + b64u_encode(payload)
    return si + "." + b64u_encode(signer.sign(si.encode()))


def disc(*content: Any) -> str:
    return b64u_encode(json.dumps(list(content)).encode())


def hdr(signer: Signer = ISSUER, **extra: Any) -> dict[str, Any]:
    return {"alg": signer.alg, "kid": signer.kid, "typ": "dc+sd-jwt", **extra}


def body(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"iss": ISS, "iat": NOW - 100, "exp": NOW + 3600, "vct": VCT_A,
                            "cnf": {"jwk": HOLDER.public_jwk()}, "_sd_alg": "sha-256"}
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def sd_jwt(disclosures: list[str], header: dict[str, Any] | None = None,
           signer: Signer = ISSUER, **payload: Any) -> str:
    """An issuer JWT over ``body(**payload)`` followed by ``disclosures``, ending in ``~``."""
    return jws(header or hdr(), body(**payload), signer) + "~" + "".join(
        d + "~" for d in disclosures)


def referenced(disclosures: list[str], **payload: Any) -> str:
    """An SD-JWT whose top-level ``_sd`` references every one of ``disclosures``."""
    return sd_jwt(disclosures, _sd=[digest(d) for d in disclosures], **payload)


def kb(presented: str, *, holder: Signer = HOLDER, header: dict[str, Any] | None = None,
       **claims: Any) -> str:
    payload = {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": digest(presented), **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    return presented + jws(header or {"alg": holder.alg, "typ": "kb+jwt"}, payload, holder)


def run(presentation: Any, *, key_binding: bool = False, **kw: Any) -> Any:
    kw.setdefault("now", NOW)
    kw.setdefault("keys", KEYS)
    if key_binding:
        kw.setdefault("nonce", NONCE)
        kw.setdefault("aud", AUD)
    return verify(presentation, key_binding=key_binding, **kw)


def code_of(fn: Callable[[], Any]) -> str:
    """The stable code ``fn`` fails with (it must fail with one of ours)."""
    with pytest.raises(ELicenseError) as err:
        fn()
    return err.value.code


def verify_code(presentation: Any, **kw: Any) -> str:
    return code_of(lambda: run(presentation, **kw))


@contextmanager
def under(seconds: float) -> Iterator[None]:
    """Assert the block takes less than ``seconds`` of wall time (hostile input is cheap)."""
    start = time.perf_counter()
    yield
    took = time.perf_counter() - start
    assert took < seconds, f"took {took:.3f}s"
