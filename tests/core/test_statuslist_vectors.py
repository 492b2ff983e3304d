"""Every Token Status List example of draft-ietf-oauth-status-list-20 (tests/vectors/
status_list, provenance in its README) decodes to the statuses the draft states, re-encodes
to the same content, and the signed example token verifies with the example key."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from core.errors import StatusListExpired, UnknownKey
from core.jose import PublicKey, b64u_decode, public_key_from_jwk
from core.statuslist import StatusList, verify_status_list_token

VECTORS = Path(__file__).parent.parent / "vectors" / "status_list"
EXTRACTED = json.loads((VECTORS / "extracted_status_lists.json").read_text())
APPENDIX_C = {"C.1": "status_list_encoding1_long_json.md",
              "C.2": "status_list_encoding2_long_json.md",
              "C.3": "status_list_encoding4_json.md",
              "C.4": "status_list_encoding8_json.md"}
SECTION_4_1 = ["status_list_encoding_json.md", "status_list_encoding2_json.md"]


def _md_json(name: str) -> dict[str, Any]:
    """The JSON object in a draft example (its wrapped ``lst`` lines rejoined)."""
    text = (VECTORS / name).read_text()
    body = text[text.index("{"): text.rindex("}") + 1]
    return json.loads(re.sub(r"\s+", "", body))


def _byte_array(name: str) -> bytes:
    m = re.search(r"byte_array = \[([^\]]*)\]", (VECTORS / name).read_text())
    assert m
    return bytes(int(x, 16) for x in m.group(1).split(","))


def _appendix_c_statuses() -> dict[str, dict[int, int]]:
    """``status[i] = 0b…`` lines of each Appendix C section, read from the draft text."""
    text = (VECTORS / "draft-20-appendix-c.txt").read_text()
    sections = re.split(r"^(C\.\d)\.\s", text, flags=re.M)
    out: dict[str, dict[int, int]] = {}
    for label, body in zip(sections[1::2], sections[2::2], strict=True):
        pairs = re.findall(r"status\[(\d+)\]\s*=\s*0b([01]+)", body)
        out[label] = {int(i): int(v, 2) for i, v in pairs}
    return out


def _nonzero(sl: StatusList) -> dict[int, int]:
    data = sl.to_bytes()
    out = {}
    for byte_idx, byte in enumerate(data):
        if byte:  # only look inside non-zero bytes: 2^20 entries stay fast
            for slot in range(8 // sl.bits):
                idx = byte_idx * (8 // sl.bits) + slot
                if sl.get(idx):
                    out[idx] = sl.get(idx)
    return out


@pytest.mark.parametrize("rec", EXTRACTED, ids=[r["id"] for r in EXTRACTED])
def test_extracted_vector_decodes_to_exactly_the_expected_statuses(rec: dict[str, Any]) -> None:
    sl = StatusList.decode({"bits": rec["bits"], "lst": rec["lst"]})
    assert sl.bits == rec["bits"]
    assert _nonzero(sl) == {int(k): v for k, v in rec["expected_nonzero"].items()}
    if rec["section"].startswith("C."):
        assert sl.size == 2**20


@pytest.mark.parametrize("rec", EXTRACTED, ids=[r["id"] for r in EXTRACTED])
def test_extracted_vector_round_trips_through_our_encoder(rec: dict[str, Any]) -> None:
    sl = StatusList.decode({"bits": rec["bits"], "lst": rec["lst"]})
    again = StatusList.decode(sl.encode())
    assert again == sl
    assert again.to_bytes() == sl.to_bytes()


@pytest.mark.parametrize("section", sorted(APPENDIX_C))
def test_appendix_c_json_examples_hold_the_statuses_of_the_draft_text(section: str) -> None:
    stated = _appendix_c_statuses()[section]
    assert len(stated) >= 11
    obj = _md_json(APPENDIX_C[section])
    sl = StatusList.decode(obj)
    assert sl.size == 2**20
    for idx, value in stated.items():
        assert sl.get(idx) == value, idx
    assert _nonzero(sl) == {i: v for i, v in stated.items() if v}
    assert StatusList.decode(sl.encode()) == sl


@pytest.mark.parametrize("section", sorted(APPENDIX_C))
def test_example_files_and_extraction_agree(section: str) -> None:
    lst = _md_json(APPENDIX_C[section])["lst"]
    assert lst in {r["lst"] for r in EXTRACTED if r["section"].startswith(section)}


@pytest.mark.parametrize("name", SECTION_4_1)
def test_section_4_1_examples_byte_array_and_exact_encoding(name: str) -> None:
    obj = _md_json(name)
    sl = StatusList.decode(obj)
    assert sl.to_bytes() == _byte_array(name)
    # the draft's level-9 zlib output (78da…) is what our encoder produces as well
    assert sl.encode() == obj


def test_section_4_1_first_example_statuses() -> None:
    sl = StatusList.decode(_md_json("status_list_encoding_json.md"))
    assert [sl.get(i) for i in range(16)] == [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
    assert b64u_decode(sl.encode()["lst"]).hex() == "78dadbb918000217015d"


def test_section_4_1_second_example_statuses() -> None:
    sl = StatusList.decode(_md_json("status_list_encoding2_json.md"))
    assert [sl.get(i) for i in range(12)] == [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]
    assert b64u_decode(sl.encode()["lst"]).hex() == "78da3be9f2130003df0207"


# --- the signed example token (§5.1 decoded, §8.2 compact) ----------------------------


class _Kid12:
    """The example issuer's key, found by the kid the example uses (never the header's)."""

    def __init__(self) -> None:
        jwk = json.loads((VECTORS / "example-key-kid12.pub.jwk").read_text())
        self.key = public_key_from_jwk(jwk)
        self.calls: list[tuple[str | None, str | None]] = []

    def lookup(self, iss: str | None, kid: str | None) -> PublicKey:
        self.calls.append((iss, kid))
        if kid != "12":
            raise UnknownKey()
        return self.key


def _raw_token() -> str:
    return re.sub(r"\s+", "", (VECTORS / "status_list_jwt_raw.md").read_text())


def _decoded_example() -> tuple[dict[str, Any], dict[str, Any]]:
    text = (VECTORS / "status_list_jwt.md").read_text()
    header, payload = re.split(r"^\.$", text, flags=re.M)
    return json.loads(header), json.loads(payload)


def test_signed_example_token_verifies_with_the_example_key() -> None:
    keys = _Kid12()
    token = _raw_token()
    header, payload = _decoded_example()
    assert json.loads(b64u_decode(token.split(".")[0])) == header
    assert header["typ"] == "statuslist+jwt"

    v = verify_status_list_token(token, keys=keys, sub=payload["sub"], now=1_700_000_000)

    assert keys.calls == [("https://example.com", "12")]
    assert (v.sub, v.iat, v.exp, v.ttl) == (
        payload["sub"], payload["iat"], payload["exp"], payload["ttl"])
    assert v.iss == "https://example.com"
    assert v.status_list == StatusList.decode(payload["status_list"])
    assert v.issuer_kid == keys.key.kid
    assert v.get(0) == 1 and v.get(1) == 0


def test_signed_example_token_is_refused_after_its_exp() -> None:
    _, payload = _decoded_example()
    with pytest.raises(StatusListExpired) as exc:
        verify_status_list_token(_raw_token(), keys=_Kid12(), now=payload["exp"] + 61)
    assert exc.value.code == "status_list_expired"
