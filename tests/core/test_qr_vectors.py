"""ELV1 test vectors (tests/vectors/qr/README.md), the spec's worked example
(docs/qr-envelope.md §10) and the QR-size goals of bench/qr.py (a size, so a test)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.credential import StaticKeys, verify
from core.qr import decode_offline, encode_offline, qr_version
from core.qr._dictionary import DICTIONARY, DICTIONARY_ID
from core.qr._packing import pack

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "qr"
DOC = (ROOT / "docs" / "qr-envelope.md").read_text(encoding="utf-8")
GOALS = {"hotel_checkin": 25, "internet_cafe": 22}  # ISSUE 4: byte mode needs 38 / 34


def _vector(name: str) -> dict:
    return json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["worked_example", "hotel_checkin", "internet_cafe"])
def test_vector_decodes_and_verifies(name: str) -> None:
    v = _vector(name)
    assert decode_offline(v["elv1"]) == v["presentation"]
    assert decode_offline(encode_offline(v["presentation"])) == v["presentation"]
    assert qr_version(v["elv1"]) == v["qr_version"]
    iss = json.loads(__import__("base64").urlsafe_b64decode(
        v["presentation"].split(".")[1] + "==="))["iss"]
    kb_payload = v["presentation"].split("~")[-1].split(".")[1]
    kb = json.loads(__import__("base64").urlsafe_b64decode(kb_payload + "==="))
    verified = verify(v["presentation"], keys=StaticKeys({iss: [v["issuer_public_jwk"]]}),
                      key_binding=True, now=kb["iat"], nonce=kb["nonce"], aud=kb["aud"])
    assert verified.key_binding is not None


def test_worked_example_packing_is_exact() -> None:
    v = _vector("worked_example")
    assert pack(v["presentation"]).hex() == v["packing_hex"]


@pytest.mark.parametrize("scenario", sorted(GOALS))
def test_bench_presentations_meet_the_qr_version_goals(scenario: str) -> None:
    v = _vector(scenario)
    assert v["presentation"].count("~") >= 4  # an SD-JWT+KB with its disclosures
    assert qr_version(v["elv1"]) <= GOALS[scenario]
    assert qr_version(encode_offline(v["presentation"])) <= GOALS[scenario]


# --- the document -----------------------------------------------------------------------


def _doc_block(marker: str) -> str:
    """The fenced block that follows ``<!-- marker -->`` in the spec."""
    m = re.search(rf"<!-- {marker} -->\s*```[a-z]*\n(.*?)```", DOC, re.S)
    assert m, f"block {marker!r} missing from docs/qr-envelope.md"
    return m.group(1)


def test_doc_worked_example_is_the_vector() -> None:
    v = _vector("worked_example")
    elv1 = "".join(_doc_block("example-elv1").splitlines())  # base45 has spaces
    assert elv1 == v["elv1"]
    presentation = "".join(_doc_block("example-presentation").splitlines())
    assert presentation == v["presentation"]
    assert decode_offline(elv1) == presentation
    packing = "".join(
        line.split("|")[0] for line in _doc_block("example-packing").splitlines()
    )
    assert bytes.fromhex("".join(packing.split())) == pack(presentation)


def test_doc_dictionary_is_the_dictionary() -> None:
    assert bytes.fromhex("".join(_doc_block("dictionary-hex").split())) == DICTIONARY
    assert f"{DICTIONARY_ID:08x}" in DOC
    assert f"{len(DICTIONARY)} bytes" in DOC


def test_doc_lists_every_qr_error_code() -> None:
    from core.qr import errors

    for name in errors.__all__:
        assert f"`{getattr(errors, name).code}`" in DOC


# --- the benchmark script ---------------------------------------------------------------


def test_bench_quick_runs_and_ends_with_the_summary_line() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "qr.py"), "--quick"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"qr hotel_checkin=v(\d+) internet_cafe=v(\d+) render_p50_ms=(\d+\.\d+)"
                     r" decode_offline_p50_us=(\d+\.\d+)", last)
    assert m, last
    assert float(m.group(4)) > 0
    assert int(m.group(1)) <= GOALS["hotel_checkin"]
    assert int(m.group(2)) <= GOALS["internet_cafe"]
