"""End to end over real HTTP (issue #5 acceptance): ``elicense run`` serving issuer, wallet
and verifier on a loopback port; the test talks to it only through HTTP and the CLI.

issue → pick up (OpenID4VCI) → QR online and offline → valid; revoke → invalid after the
status refresh; suspend → invalid, reinstate → valid; the same offline QR twice → replay;
a QR older than the policy window → rejected; untrusted issuer / type → rejected; a
scenario the org is not registered for → 403; tampered QR text or image → a code, never a
500; the offline bundle made by the CLI verifies with the network cut.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.credential import issue, present
from core.qr import encode_offline, render_png
from keys.software import SoftwareSigner, generate_signer
from tests.e2e.server import Server, running

# One server per module: keep every test of it on one xdist worker (--dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("verifier-e2e")]

HOTEL = {"Authorization": "Bearer demo-hotel-key"}
POLICE = {"Authorization": "Bearer demo-police-key"}
CAFE = {"Authorization": "Bearer demo-cafe-key"}
CITY = {"Authorization": "Bearer demo-city-key"}
ID_CARD = {"name": "李四", "sex": "女", "ethnicity": "汉", "birthdate": "1985-06-01",
           "address": "北京市西城区示例街2号", "document_number": "110102198506010021",
           "issuing_authority": "北京市公安局西城分局", "valid_from": "2021-01-01",
           "valid_until": "2041-01-01"}
DOG = {"registration_number": "京犬2026-000999", "owner_name": "李四",
       "owner_address": "北京市西城区示例街2号", "dog_name": "小白", "breed": "萨摩耶",
       "color": "白", "dog_sex": "母", "vaccination_date": "2026-02-01",
       "valid_until": "2027-02-01"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Status lists are rebuilt and refetched at once so that revocation shows immediately;
    # the trust list is re-read every second (the type-map test installs a new one).
    with running(tmp_path_factory.mktemp("e2e"), ELICENSE_STATUS_CACHE_MAX_S="0",
                 ELICENSE_STATUS_LIST_MIN_REFRESH_S="0", ELICENSE_TRUST_REFRESH_S="1") as s:
        yield s


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def _agency(http: httpx.Client) -> dict[str, str]:
    resp = http.post("/issuer/oauth/token", data={"grant_type": "client_credentials",
                                                  "client_id": "demo-psb",
                                                  "client_secret": "demo-psb-secret"})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _issue_direct(http: httpx.Client, type_: str, claims: dict[str, Any],
                  holder: SoftwareSigner) -> tuple[str, str]:
    resp = http.post("/issuer/v1/credentials", headers=_agency(http),
                     json={"type": type_, "claims": claims,
                           "holder": {"jwk": holder.public_jwk()}})
    assert resp.status_code == 201, resp.text
    return resp.json()["id"], resp.json()["credential"]


def _qr(sd_jwt: str, holder: SoftwareSigner, scenario: str, disclose: list[str],
        iat: int | None = None) -> str:
    import time

    return encode_offline(present(sd_jwt, disclose=disclose, holder=holder,
                                  nonce=secrets.token_urlsafe(16),
                                  aud=f"urn:elicense:offline:{scenario}",
                                  iat=iat if iat is not None else int(time.time())))


def _verify(http: httpx.Client, key: dict[str, str], scenario: str, qr: str) -> dict[str, Any]:
    resp = http.post("/verifier/v1/verify", headers=key, json={"scenario": scenario, "qr": qr})
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


def _check(verdict: dict[str, Any], name: str) -> tuple[bool, str | None]:
    c = next(c for c in verdict["checks"] if c["name"] == name)
    return c["ok"], c["code"]


def _state(http: httpx.Client, cred_id: str, action: str) -> None:
    resp = http.post(f"/issuer/v1/credentials/{cred_id}/{action}", headers=_agency(http))
    assert resp.status_code == 200, resp.text


HOTEL_OFFLINE = ["name", "document_number", "sex", "ethnicity", "birthdate", "address"]


def test_issue_pick_up_and_verify_both_modes(http: httpx.Client) -> None:
    from wallet.demo import demo_portrait

    offer = http.post("/issuer/v1/credentials", headers=_agency(http),
                      json={"type": "id_card", "claims": {**ID_CARD,
                                                          "portrait": demo_portrait()},
                            "holder": {"offer": True}}).json()["offer"]
    login = http.post("/wallet/v1/login", json={"username": "demo", "password": "demo-password"})
    citizen = {"Authorization": f"Bearer {login.json()['access_token']}"}
    picked = http.post("/wallet/v1/offers", headers=citizen,
                       json={"credential_offer": offer["credential_offer"],
                             "tx_code": offer.get("tx_code")})
    assert picked.status_code == 201, picked.text
    cred_id = picked.json()["credentials"][0]["id"]

    for mode in ("offline", "online"):
        qr = http.post(f"/wallet/v1/credentials/{cred_id}/qr", headers=citizen,
                       json={"scenario": "hotel_checkin", "mode": mode})
        assert qr.status_code == 200, qr.text
        verdict = _verify(http, HOTEL, "hotel_checkin", qr.json()["payload"])
        assert verdict["valid"], verdict["checks"]
        assert verdict["mode"] == mode and verdict["credential_type"] == "id_card"
        assert verdict["claims"]["name"] == "李四"
        assert ("portrait" in verdict["claims"]) == (mode == "online")
        assert verdict["status"]["value"] == 0

    # The image route, with the wallet's own PNG.
    qr = http.post(f"/wallet/v1/credentials/{cred_id}/qr", headers=citizen,
                   json={"scenario": "hotel_checkin", "mode": "offline"}).json()
    png = base64.b64decode(qr["png_base64"])
    resp = http.post("/verifier/v1/verify-image", headers=HOTEL,
                     data={"scenario": "hotel_checkin"},
                     files={"image": ("qr.png", png, "image/png")})
    assert resp.status_code == 200 and resp.json()["valid"], resp.text

    # The online token works once: a second redeem is refused by the wallet.
    online = http.post(f"/wallet/v1/credentials/{cred_id}/qr", headers=citizen,
                       json={"scenario": "hotel_checkin", "mode": "online"}).json()["payload"]
    assert _verify(http, HOTEL, "hotel_checkin", online)["valid"]
    again = _verify(http, HOTEL, "hotel_checkin", online)
    assert _check(again, "envelope")[0] is False and not again["valid"]


def test_replay_and_too_old(http: httpx.Client) -> None:
    holder = generate_signer("ES256")
    _, sd_jwt = _issue_direct(http, "id_card", ID_CARD, holder)
    qr = _qr(sd_jwt, holder, "hotel_checkin", HOTEL_OFFLINE)
    assert _verify(http, HOTEL, "hotel_checkin", qr)["valid"]
    assert _check(_verify(http, HOTEL, "hotel_checkin", qr), "replay") == (False, "replayed")
    import time

    old = _qr(sd_jwt, holder, "hotel_checkin", HOTEL_OFFLINE, iat=int(time.time()) - 600)
    assert _check(_verify(http, HOTEL, "hotel_checkin", old), "freshness") == (
        False, "kb_iat_out_of_window")


def test_revoke_suspend_reinstate(http: httpx.Client) -> None:
    holder = generate_signer("EdDSA")
    cred_id, sd_jwt = _issue_direct(http, "id_card", ID_CARD, holder)
    assert _verify(http, HOTEL, "hotel_checkin",
                   _qr(sd_jwt, holder, "hotel_checkin", HOTEL_OFFLINE))["valid"]
    _state(http, cred_id, "suspend")
    v = _verify(http, HOTEL, "hotel_checkin", _qr(sd_jwt, holder, "hotel_checkin", ["name",
                                                                                  "document_number"]))
    assert _check(v, "status") == (False, "suspended") and v["status"]["value"] == 2
    _state(http, cred_id, "reinstate")
    assert _verify(http, HOTEL, "hotel_checkin",
                   _qr(sd_jwt, holder, "hotel_checkin", HOTEL_OFFLINE))["valid"]
    _state(http, cred_id, "revoke")
    v = _verify(http, HOTEL, "hotel_checkin", _qr(sd_jwt, holder, "hotel_checkin",
                                                  HOTEL_OFFLINE))
    assert _check(v, "status") == (False, "revoked") and not v["valid"]


def test_untrusted_issuer(http: httpx.Client, server: Server) -> None:
    rogue, holder = generate_signer("ES256"), generate_signer("ES256")
    import time

    now = int(time.time())
    for iss in ("https://rogue.example/issuer", f"{server.url}/issuer"):
        sd_jwt = issue(signer=rogue, iss=iss, vct=f"{iss}/vct/id_card",
                       claims={**ID_CARD, "agency": "psb"}, sd=list(ID_CARD),
                       holder_jwk=holder.public_jwk(), iat=now, exp=now + 3600,
                       status={"status_list": {"idx": 1, "uri": f"{iss}/status-lists/1"}})
        v = _verify(http, HOTEL, "hotel_checkin", _qr(sd_jwt, holder, "hotel_checkin",
                                                      ["name", "document_number"]))
        assert not v["valid"]
        expected = ("trust", "untrusted_issuer") if "rogue" in iss else ("signature",
                                                                          "unknown_key")
        assert _check(v, expected[0]) == (False, expected[1])


def test_scenario_not_registered_is_403(http: httpx.Client) -> None:
    resp = http.post("/verifier/v1/verify", headers=CAFE,
                     json={"scenario": "hotel_checkin", "qr": "ELV1:AAAA"})
    assert resp.status_code == 403 and resp.json()["code"] == "scenario_not_allowed"


def test_tampered_text_and_image_give_codes_never_500(http: httpx.Client) -> None:
    holder = generate_signer("ES256")
    _, sd_jwt = _issue_direct(http, "id_card", ID_CARD, holder)
    qr = _qr(sd_jwt, holder, "hotel_checkin", HOTEL_OFFLINE)
    mid = len(qr) // 2
    for bad in (qr[:mid] + ("A" if qr[mid] != "A" else "B") + qr[mid + 1:], qr[:-7],
                qr + "ZZ", "ELV1:" + qr[5:][::-1], "nonsense", "ELR1:" + "A" * 32):
        v = _verify(http, HOTEL, "hotel_checkin", bad)
        assert v["valid"] is False
        assert any(not c["ok"] and c["code"] not in (None, "not_checked") for c in v["checks"])
    png = bytearray(render_png(qr))
    for i in range(200, len(png), 97):
        png[i] ^= 0x5A
    resp = http.post("/verifier/v1/verify-image", headers=HOTEL,
                     data={"scenario": "hotel_checkin"},
                     files={"image": ("qr.png", bytes(png), "image/png")})
    assert resp.status_code == 200 and resp.json()["valid"] is False


def test_offline_bundle_from_the_cli(http: httpx.Client, server: Server,
                                     tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from verifier.app import create_app
    from verifier.settings import Settings

    bundle = tmp_path / "bundle.jwt"
    made = server.cli("verifier", "bundle", "--out", str(bundle))
    assert made.returncode == 0, made.stderr
    anchor = server.cli("trust", "anchor-jwk")
    assert anchor.returncode == 0, anchor.stderr
    holder = generate_signer("ES256")
    _, sd_jwt = _issue_direct(http, "dog_license", DOG, holder)
    # A device that pinned the anchor and loaded the bundle; its network is cut.
    device_db = server.env["ELICENSE_DATABASE_URL"]
    settings = Settings(database_url=device_db, offline_bundle=bundle,
                        trust_anchor_jwk=anchor.stdout.strip(), public_url=server.url)

    def cut(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("offline", request=request)

    app = create_app(settings, http=httpx.Client(transport=httpx.MockTransport(cut)))
    with TestClient(app) as device:
        qr = _qr(sd_jwt, holder, "dog_license_check", ["registration_number", "dog_name"])
        resp = device.post("/v1/verify", headers=CITY,
                           json={"scenario": "dog_license_check", "qr": qr})
        verdict = resp.json()
        assert verdict["valid"], verdict["checks"]
        assert verdict["bundle_age_s"] >= 0 and verdict["claims"]["dog_name"] == "小白"
    assert json.loads(anchor.stdout)["kty"] in ("EC", "OKP")


def test_issuer_key_rotation_is_followed(http: httpx.Client, server: Server) -> None:
    """The issuer rotates its key: its new credentials are unknown to the verifiers until
    the anchor re-signs the trust list; after the next refresh they verify, and credentials
    signed with the retired key still do."""
    holder = generate_signer("ES256")
    _, before = _issue_direct(http, "id_card", ID_CARD, holder)
    rotated = server.cli("keys", "rotate", "--owner", "issuer")
    assert rotated.returncode == 0, rotated.stderr
    _, after = _issue_direct(http, "id_card", ID_CARD, holder)
    v = _verify(http, HOTEL, "hotel_checkin", _qr(after, holder, "hotel_checkin",
                                                  HOTEL_OFFLINE))
    assert _check(v, "signature") == (False, "unknown_key")
    signed = server.cli("trust", "sign", "--metadata",
                        f"{server.url}/issuer/.well-known/jwt-vc-issuer", "--install")
    assert signed.returncode == 0, signed.stderr
    import time

    time.sleep(2.2)  # ELICENSE_TRUST_REFRESH_S=1
    for sd_jwt in (after, before):
        v = _verify(http, HOTEL, "hotel_checkin", _qr(sd_jwt, holder, "hotel_checkin",
                                                      HOTEL_OFFLINE))
        assert v["valid"], v["checks"]


def test_key_compromise_drill(http: httpx.Client, server: Server) -> None:
    """docs/operations.md drill: a compromised issuer key is revoked with the CLI; it leaves
    the JWKS, the re-signed trust list drops it, and after the verifiers' next trust refresh
    credentials signed with it fail with ``unknown_key`` while the new key's verify."""
    holder = generate_signer("ES256")
    _, old = _issue_direct(http, "id_card", ID_CARD, holder)
    old_kid = json.loads(base64.urlsafe_b64decode(old.split(".")[0] + "=="))["kid"]
    rotated = server.cli("keys", "rotate", "--owner", "issuer")
    assert rotated.returncode == 0, rotated.stderr
    _, new = _issue_direct(http, "id_card", ID_CARD, holder)
    revoked = server.cli("keys", "revoke", "--", old_kid)
    assert revoked.returncode == 0, revoked.stderr
    assert old_kid not in {k["kid"] for k in http.get("/issuer/jwks.json").json()["keys"]}
    signed = server.cli("trust", "sign", "--metadata",
                        f"{server.url}/issuer/.well-known/jwt-vc-issuer", "--install")
    assert signed.returncode == 0, signed.stderr
    import time

    time.sleep(2.2)  # ELICENSE_TRUST_REFRESH_S=1
    v = _verify(http, HOTEL, "hotel_checkin", _qr(old, holder, "hotel_checkin", HOTEL_OFFLINE))
    assert not v["valid"] and _check(v, "signature") == (False, "unknown_key")
    v = _verify(http, HOTEL, "hotel_checkin", _qr(new, holder, "hotel_checkin", HOTEL_OFFLINE))
    assert v["valid"], v["checks"]


def test_type_a_under_a_scenario_for_type_b(http: httpx.Client) -> None:
    """Advisory (issue 7): a genuine id_card shown under the dog-license scenario is refused
    by the verdict's ``type_allowed`` check, through the HTTP API."""
    holder = generate_signer("ES256")
    _, sd_jwt = _issue_direct(http, "id_card", ID_CARD, holder)
    v = _verify(http, CITY, "dog_license_check", _qr(sd_jwt, holder, "dog_license_check",
                                                     ["name"]))
    assert not v["valid"] and _check(v, "type_allowed") == (False, "type_not_allowed")
    assert "name" not in v["claims"]


INJECTIONS = ["' OR '1'='1", "1; DROP TABLE issuer_credential; --", "\" OR 1=1 --", "%' --"]


@pytest.mark.parametrize("probe", INJECTIONS)
def test_sql_injection_probes_are_plain_data(http: httpx.Client, probe: str) -> None:
    """Search, login and API-key inputs reach the database only as bound parameters: a probe
    matches nothing, authenticates nobody, and never yields a 500."""
    agency = _agency(http)
    r = http.get("/issuer/v1/credentials", params={"q": probe}, headers=agency)
    assert r.status_code == 200 and r.json()["items"] == [] and r.json()["total"] == 0
    r = http.post("/wallet/v1/login", json={"username": probe, "password": probe})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    r = http.post("/verifier/v1/verify", headers={"Authorization": f"Bearer {probe}"},
                  json={"scenario": "hotel_checkin", "qr": "ELV1:00"})
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"
    r = http.get(f"/issuer/v1/credentials/{probe}", headers=agency)
    assert r.status_code in (404, 422) and "code" in r.json()
    # the table is still there and still answers
    assert http.get("/issuer/v1/credentials", headers=agency).status_code == 200


def test_oversized_request_bodies_get_typed_errors(http: httpx.Client) -> None:
    r = http.post("/verifier/v1/verify", headers=HOTEL,
                  json={"scenario": "hotel_checkin", "qr": "ELV1:" + "0" * 2_000_000})
    assert 400 <= r.status_code < 500 and r.json()["code"]
    r = http.post("/verifier/v1/verify-image", headers=HOTEL, data={"scenario": "hotel_checkin"},
                  files={"image": ("big.png", b"\x89PNG" + b"0" * 6_000_000, "image/png")})
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"


def test_type_not_trusted_after_trust_list_change(http: httpx.Client, server: Server,
                                                  tmp_path: Path) -> None:
    """Runs last: installs a trust list where psb may no longer issue dog licenses."""
    holder = generate_signer("ES256")
    _, sd_jwt = _issue_direct(http, "dog_license", DOG, holder)
    type_map = tmp_path / "types.json"
    type_map.write_text(json.dumps({"*": {"name": {"zh": "市", "en": "City"},
                                          "agencies": {"psb": ["id_card"]}}}))
    signed = server.cli("trust", "sign", "--metadata",
                        f"{server.url}/issuer/.well-known/jwt-vc-issuer",
                        "--type-map", str(type_map), "--install")
    assert signed.returncode == 0, signed.stderr
    import time

    time.sleep(2.2)  # ELICENSE_TRUST_REFRESH_S=1
    v = _verify(http, CITY, "dog_license_check",
                _qr(sd_jwt, holder, "dog_license_check", ["registration_number"]))
    assert _check(v, "trust") == (False, "type_not_trusted")
