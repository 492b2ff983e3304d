"""Regenerate the ELV1 test vectors in this directory (see README.md).

    .venv/bin/python tests/vectors/qr/generate.py

Keys and salts come from fixed seeds. ``worked_example.json`` is built by hand (JSON by
orjson, Ed25519 signatures, which are deterministic), so it comes out identical on every
run. The two id_card vectors go through ``core.credential`` with ES256, whose signatures
are randomised, so they change on every run: commit them once, regenerate on purpose.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric import ec, ed25519  # noqa: E402

from core.jose import b64u_encode, json_dumps  # noqa: E402
from core.qr import encode_offline, qr_version  # noqa: E402
from core.qr._packing import pack  # noqa: E402
from keys.software import SoftwareSigner  # noqa: E402


def seeded(label: str) -> Callable[[int], bytes]:
    """Deterministic stand-in for ``secrets.token_bytes``: SHAKE-256(label || counter)."""
    counter = 0

    def token_bytes(n: int) -> bytes:
        nonlocal counter
        counter += 1
        return hashlib.shake_256(f"{label}/{counter}".encode()).digest(n)

    return token_bytes


def ed25519_signer(label: str) -> SoftwareSigner:
    seed = hashlib.sha256(label.encode()).digest()
    return SoftwareSigner(ed25519.Ed25519PrivateKey.from_private_bytes(seed))


def es256_signer(label: str) -> SoftwareSigner:
    n = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (2**255)
    return SoftwareSigner(ec.derive_private_key(n, ec.SECP256R1()))


def worked_example() -> dict[str, object]:
    """Built by hand (RFC 9901 §4) so that it depends on nothing but this file."""
    issuer, holder = ed25519_signer("elicense qr issuer"), ed25519_signer("elicense qr holder")
    salts = seeded("elicense qr worked example")
    iss = "https://city.example/issuer"
    disclosures = {
        name: b64u_encode(json_dumps([b64u_encode(salts(16)), name, value]))
        for name, value in (("name", "Li Lei"), ("age_over_18", True))
    }
    holder_key = {k: holder.public_jwk()[k] for k in ("kty", "crv", "x")}
    payload = {
        "iss": iss, "iat": 1_790_000_000, "exp": 1_790_000_000 + 86400 * 365,
        "vct": f"{iss}/vct/id_card", "cnf": {"jwk": holder_key},
        "status": {"status_list": {"idx": 7, "uri": f"{iss}/status-lists/1"}},
        "agency": "psb",
        "_sd": sorted(_digest(d) for d in disclosures.values()),
        "_sd_alg": "sha-256",
    }
    body = _jws({"typ": "dc+sd-jwt", "alg": "EdDSA", "kid": issuer.kid}, payload, issuer) + "~"
    body += disclosures["age_over_18"] + "~"
    kb = _jws({"alg": "EdDSA", "typ": "kb+jwt"}, {
        "iat": 1_790_000_060, "aud": "urn:elicense:offline:internet_cafe",
        "nonce": "bm9uY2Utb2YtdGhlLXdhbGxldA", "sd_hash": _digest(body),
    }, holder)
    presentation = body + kb
    elv1 = encode_offline(presentation)
    return {
        "description": "Ed25519 issuer and holder, one disclosure (age_over_18), KB-JWT",
        "issuer_public_jwk": issuer.public_jwk(),
        "holder_public_jwk": holder.public_jwk(),
        "presentation": presentation,
        "packing_hex": pack(presentation).hex(),
        "elv1": elv1,
        "qr_version": qr_version(elv1),
    }


def _jws(header: dict[str, object], payload: dict[str, object], signer: SoftwareSigner) -> str:
    signing_input = b64u_encode(json_dumps(header)) + "." + b64u_encode(json_dumps(payload))
    return signing_input + "." + b64u_encode(signer.sign(signing_input.encode("ascii")))


def _digest(text: str) -> str:
    return b64u_encode(hashlib.sha256(text.encode("ascii")).digest())


def id_card(scenario: str) -> dict[str, object]:
    spec = importlib.util.spec_from_file_location("bench_qr", ROOT / "bench" / "qr.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    issuer, holder = es256_signer("elicense qr issuer es256"), es256_signer("elicense qr holder")
    presentation = bench.presentations(issuer, holder, seeded("elicense qr id_card"))[scenario]
    elv1 = encode_offline(presentation)
    return {
        "description": f"bench/qr.py id_card, offline {scenario} presentation, ES256",
        "issuer_public_jwk": issuer.public_jwk(),
        "holder_public_jwk": holder.public_jwk(),
        "presentation": presentation,
        "elv1": elv1,
        "qr_version": qr_version(elv1),
    }


def main() -> None:
    vectors = {"worked_example": worked_example()}
    if "--all" in sys.argv:
        vectors |= {s: id_card(s) for s in ("hotel_checkin", "internet_cafe")}
    for name, vector in vectors.items():
        (HERE / f"{name}.json").write_text(json.dumps(vector, indent=2, ensure_ascii=False)
                                           + "\n", encoding="utf-8")
        print(name, "v" + str(vector["qr_version"]), len(str(vector["elv1"])), "chars")


if __name__ == "__main__":
    main()
