"""Regenerate the ELV1 test vectors in this directory (see README.md).

    .venv/bin/python tests/vectors/qr/generate.py

Keys and salts come from fixed seeds, so ``worked_example.json`` (Ed25519, whose
signatures are deterministic) comes out identical on every run; the two id_card vectors
use ES256, whose signatures are randomised, so they change on every run — commit them
once and only regenerate on purpose.
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

from core.credential import issue, present  # noqa: E402
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
    issuer, holder = ed25519_signer("elicense qr issuer"), ed25519_signer("elicense qr holder")
    salts = seeded("elicense qr worked example")
    sd_jwt = issue(
        signer=issuer, iss="https://city.example/issuer",
        vct="https://city.example/issuer/vct/id_card",
        claims={"agency": "psb", "name": "Li Lei", "age_over_18": True},
        sd=["name", "age_over_18"], holder_jwk=holder.public_jwk(),
        iat=1_790_000_000, exp=1_790_000_000 + 86400 * 365,
        status={"status_list": {"idx": 7, "uri": "https://city.example/issuer/status-lists/1"}},
        token_bytes=salts,
    )
    presentation = present(
        sd_jwt, disclose=["age_over_18"], holder=holder,
        aud="urn:elicense:offline:internet_cafe", nonce="bm9uY2Utb2YtdGhlLXdhbGxldA",
        iat=1_790_000_060,
    )
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
