"""QR size and render-time benchmark for offline presentations (docs/qr-envelope.md §9).

Builds a realistic 12-claim id_card SD-JWT VC (ES256 issuer and holder keys, vct / iss /
status / cnf / agency as a real credential, a ~6 KB portrait that offline presentations
never carry), presents it for ``hotel_checkin`` and ``internet_cafe`` with a KB-JWT, and
reports the QR version at ECC M of the ``ELV1:`` payload (alphanumeric mode) next to the
plain SD-JWT+KB text in byte mode, plus the PNG render time and the ``decode_offline`` time
(the verifier decodes every offline QR it is shown: per-call median, µs).

    .venv/bin/python bench/qr.py [--quick]

The last line is machine-readable:
``qr hotel_checkin=v<n> internet_cafe=v<n> render_p50_ms=<x> decode_offline_p50_us=<y>``.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.credential import issue, present
from core.jose import b64u_encode
from core.qr import decode_image, decode_offline, encode_offline, qr_version, render_png
from core.signing import Signer
from keys.software import generate_signer

ISS = "https://elicense.city.gov.cn/issuer"
IAT = 1_790_000_000
SCENARIOS = {
    "hotel_checkin": ["name", "document_number", "sex", "ethnicity", "birthdate", "address"],
    "internet_cafe": ["name", "document_number", "age_over_18"],
}


def id_card_claims(token_bytes: Callable[[int], bytes] = secrets.token_bytes) -> dict[str, Any]:
    return {
        "agency": "psb",
        "name": "张伟",
        "sex": "男",
        "ethnicity": "汉族",
        "birthdate": "1988-03-14",
        "address": "广东省深圳市南山区粤海街道科技南十二路28号康佳研发大厦1203室",
        "document_number": "440305198803142315",
        "issuing_authority": "深圳市公安局南山分局",
        "valid_from": "2019-05-20",
        "valid_until": "2039-05-20",
        "age_over_18": True,
        "age_over_60": False,
        "portrait": b64u_encode(token_bytes(6 * 1024)),  # stands in for a ~6 KB JPEG
    }


def presentations(
    issuer: Signer | None = None,
    holder: Signer | None = None,
    token_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> dict[str, str]:
    """One offline SD-JWT+KB per scenario, as the wallet builds it for an ``ELV1:`` QR."""
    issuer = issuer or generate_signer("ES256")
    holder = holder or generate_signer("ES256")
    claims = id_card_claims(token_bytes)
    sd_jwt = issue(
        signer=issuer, iss=ISS, vct=f"{ISS}/vct/id_card", claims=claims,
        sd=[k for k in claims if k != "agency"], holder_jwk=holder.public_jwk(),
        iat=IAT, exp=IAT + 20 * 365 * 86400,
        status={"status_list": {"idx": 48213, "uri": f"{ISS}/status-lists/1"}},
        token_bytes=token_bytes,
    )
    return {
        scenario: present(
            sd_jwt, disclose=disclose, holder=holder, aud=f"urn:elicense:offline:{scenario}",
            nonce=b64u_encode(token_bytes(16)), iat=IAT + 60,
        )
        for scenario, disclose in SCENARIOS.items()
    }


def byte_mode_version(text: str) -> int:
    """QR version of ``text`` in byte mode (lowercase forces it; same length as ours)."""
    import zxingcpp

    barcode = zxingcpp.create_barcode(text.encode("ascii"), zxingcpp.QRCode, ec_level="M")
    return (barcode.to_image(add_quiet_zones=False).shape[0] - 17) // 4


def _report(name: str, runs: int, fn: Callable[[], object]) -> None:
    """Median time of one call of ``fn`` (which handles both scenarios), per payload."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000 / len(SCENARIOS))
    print(f"{name}: p50 {statistics.median(times):.2f} ms per payload")


def decode_p50_us(payloads: dict[str, str], runs: int, batch: int = 50) -> dict[str, float]:
    """Median µs of one ``decode_offline`` call per scenario; each sample times ``batch``
    calls (one call is too short for the clock), as the verifier's endpoint makes them."""
    times: dict[str, list[float]] = {scenario: [] for scenario in payloads}
    for _ in range(runs):
        for scenario, payload in payloads.items():
            t0 = time.perf_counter()
            for _ in range(batch):
                decode_offline(payload)
            times[scenario].append((time.perf_counter() - t0) * 1e6 / batch)
    return {scenario: statistics.median(t) for scenario, t in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few render iterations")
    args = parser.parse_args(argv)
    runs = 5 if args.quick else 100

    versions: dict[str, int] = {}
    payloads: dict[str, str] = {}
    built = presentations()
    presentations_ = list(built.values())
    for scenario, presentation in built.items():
        payload = encode_offline(presentation)
        payloads[scenario] = payload
        versions[scenario] = qr_version(payload)
        print(f"{scenario}: SD-JWT+KB {len(presentation)} chars -> byte mode "
              f"v{byte_mode_version(presentation)}; ELV1 {len(payload)} chars -> "
              f"alphanumeric v{versions[scenario]} (ECC M)")

    times: list[float] = []
    for _ in range(runs):
        for payload in payloads.values():
            t0 = time.perf_counter()
            render_png(payload)
            times.append((time.perf_counter() - t0) * 1000)
    p50 = statistics.median(times)
    print(f"render_png: {len(times)} renders, p50 {p50:.2f} ms, max {max(times):.2f} ms")
    _report("encode_offline", runs, lambda: [encode_offline(p) for p in presentations_])
    decode_us = decode_p50_us(payloads, runs)
    decode_p50 = statistics.median(decode_us.values())
    print(f"decode_offline: p50 {decode_p50:.1f} µs per payload; " + ", ".join(
        f"{scenario} {us:.1f} µs for {len(payloads[scenario])} chars"
        for scenario, us in decode_us.items()))
    pngs = [render_png(p) for p in payloads.values()]
    _report("decode_image (PNG)", max(1, runs // 5), lambda: [decode_image(b) for b in pngs])
    print(f"qr hotel_checkin=v{versions['hotel_checkin']} "
          f"internet_cafe=v{versions['internet_cafe']} render_p50_ms={p50:.2f} "
          f"decode_offline_p50_us={decode_p50:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
