"""Revoke / suspend / reinstate / reissue, list and search, the published status list
reading each state, and every refusal (other agency, scope, transition, unknown id)."""

from __future__ import annotations

from typing import Any

import pytest

from core.clock import FixedClock
from core.credential import StaticKeys, verify
from core.statuslist import INVALID, SUSPENDED, VALID, verify_status_list_token
from keys.software import SoftwareSigner

from .conftest import ISS, TestClient, agency_token, bearer, issue_id_card


class IssuerKeys:
    def __init__(self, jwks: dict[str, Any]) -> None:
        self._keys = StaticKeys({ISS: jwks})

    def lookup(self, iss: str | None, kid: str | None) -> Any:
        return self._keys.lookup(ISS, kid)


def status_value(client: TestClient, status: dict[str, Any], now: int) -> int:
    r = client.get(status["uri"])
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/statuslist+jwt"
    keys = IssuerKeys(client.get("/issuer/jwks.json").json())
    tok = verify_status_list_token(r.text, keys=keys, sub=status["uri"], now=now)
    return tok.get(status["idx"])


def test_revoke_suspend_reinstate_show_in_status_list(
        client: TestClient, psb: dict[str, str], holder: SoftwareSigner,
        clock: FixedClock) -> None:
    a = issue_id_card(client, psb, holder)
    b = issue_id_card(client, psb, holder)
    now = clock.now()
    assert status_value(client, a["status"], now) == VALID
    r = client.post(f"/issuer/v1/credentials/{a['id']}/revoke", headers=psb,
                    json={"reason": "lost"})
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    assert status_value(client, a["status"], now) == INVALID
    r = client.post(f"/issuer/v1/credentials/{b['id']}/suspend", headers=psb)
    assert r.status_code == 200 and r.json()["state"] == "suspended"
    assert status_value(client, b["status"], now) == SUSPENDED
    r = client.post(f"/issuer/v1/credentials/{b['id']}/reinstate", headers=psb)
    assert r.status_code == 200 and r.json()["state"] == "valid"
    assert status_value(client, b["status"], now) == VALID
    assert status_value(client, a["status"], now) == INVALID


def test_status_list_token_headers_and_etag(client: TestClient, psb: dict[str, str],
                                            holder: SoftwareSigner, clock: FixedClock) -> None:
    a = issue_id_card(client, psb, holder)
    r = client.get(a["status"]["uri"])
    etag = r.headers["etag"]
    assert r.headers["cache-control"] == "public, max-age=300"
    import base64
    import json

    payload = json.loads(base64.urlsafe_b64decode(r.text.split(".")[1] + "=="))
    assert payload["sub"] == a["status"]["uri"] and payload["iss"] == ISS
    assert payload["ttl"] == 300 and payload["exp"] > payload["iat"] == clock.now()
    assert payload["status_list"]["bits"] == 2
    r304 = client.get(a["status"]["uri"], headers={"If-None-Match": etag})
    assert r304.status_code == 304 and r304.headers["etag"] == etag
    assert client.get("/issuer/status-lists/999").json()["code"] == "status_list_not_found"


def test_status_list_regeneration_is_coalesced(any_db_url: str, clock: FixedClock,
                                               holder: SoftwareSigner) -> None:
    from .conftest import make_client, make_settings

    settings = make_settings(any_db_url, status_list_min_refresh_s=30)
    with make_client(settings, clock) as client:
        h = bearer(agency_token(client, "psb"))
        creds = [issue_id_card(client, h, holder) for _ in range(3)]
        first = client.get(creds[0]["status"]["uri"]).text
        for c in creds:
            client.post(f"/issuer/v1/credentials/{c['id']}/revoke", headers=h)
        # Three revocations within 30 s: still the same token, no re-signing per change.
        assert client.get(creds[0]["status"]["uri"]).text == first
        clock.advance(30)
        now = clock.now()
        assert client.get(creds[0]["status"]["uri"]).text != first
        assert all(status_value(client, c["status"], now) == INVALID for c in creds)


def test_invalid_transitions(client: TestClient, psb: dict[str, str],
                             holder: SoftwareSigner) -> None:
    a = issue_id_card(client, psb, holder)
    r = client.post(f"/issuer/v1/credentials/{a['id']}/reinstate", headers=psb)
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    client.post(f"/issuer/v1/credentials/{a['id']}/revoke", headers=psb)
    for action in ("revoke", "suspend", "reinstate"):
        r = client.post(f"/issuer/v1/credentials/{a['id']}/{action}", headers=psb)
        assert r.status_code == 409 and r.json()["code"] == "invalid_transition"


@pytest.mark.parametrize("action", ["revoke", "suspend", "reinstate", "reissue"])
def test_other_agency_cannot_touch_credential(client: TestClient, psb: dict[str, str],
                                              amr: dict[str, str], holder: SoftwareSigner,
                                              action: str) -> None:
    a = issue_id_card(client, psb, holder)
    body = {"holder": {"jwk": holder.public_jwk()}} if action == "reissue" else None
    r = client.post(f"/issuer/v1/credentials/{a['id']}/{action}", headers=amr, json=body)
    assert r.status_code == 403 and r.json()["code"] == "credential_not_owned"
    r = client.get(f"/issuer/v1/credentials/{a['id']}", headers=amr)
    assert r.status_code == 403 and r.json()["code"] == "credential_not_owned"


def test_revoke_needs_revoke_scope(client: TestClient, psb: dict[str, str],
                                   holder: SoftwareSigner) -> None:
    a = issue_id_card(client, psb, holder)
    only_issue = bearer(agency_token(client, "psb", scope="credential:issue:id_card"))
    r = client.post(f"/issuer/v1/credentials/{a['id']}/revoke", headers=only_issue)
    assert r.status_code == 403 and r.json()["code"] == "insufficient_scope"
    r = client.get("/issuer/v1/credentials?type=id_card", headers=only_issue)
    assert r.status_code == 403 and r.json()["code"] == "insufficient_scope"


def test_unknown_credential(client: TestClient, psb: dict[str, str]) -> None:
    r = client.post("/issuer/v1/credentials/0000/revoke", headers=psb)
    assert r.status_code == 404 and r.json()["code"] == "credential_not_found"


def test_reissue_revokes_old_and_carries_claims(client: TestClient, psb: dict[str, str],
                                                holder: SoftwareSigner,
                                                clock: FixedClock) -> None:
    old = issue_id_card(client, psb, holder)
    r = client.post(f"/issuer/v1/credentials/{old['id']}/reissue", headers=psb, json={
        "holder": {"jwk": holder.public_jwk()}, "claims": {"address": "上海市1号"}})
    assert r.status_code == 201, r.text
    new = r.json()
    jwks = client.get("/issuer/jwks.json").json()
    v = verify(new["credential"], keys=StaticKeys({ISS: jwks}), key_binding=False,
               now=clock.now())
    assert v.claims["address"] == "上海市1号" and v.claims["name"] == "张三"
    assert status_value(client, old["status"], clock.now()) == INVALID
    got = client.get(f"/issuer/v1/credentials/{new['id']}", headers=psb).json()
    assert got["replaces"] == old["id"] and got["state"] == "valid"
    r = client.post(f"/issuer/v1/credentials/{old['id']}/reissue", headers=psb, json={
        "holder": {"jwk": holder.public_jwk()}})
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"


def test_list_and_search_own_credentials_only(client: TestClient, psb: dict[str, str],
                                              holder: SoftwareSigner) -> None:
    from .test_catalog import SAMPLES

    a = issue_id_card(client, psb, holder)
    issue_id_card(client, psb, holder, document_number="110105199001010011")
    hc = bearer(agency_token(client, "hc"))
    r = client.post("/issuer/v1/credentials", headers=hc, json={
        "type": "birth_certificate", "claims": SAMPLES["birth_certificate"],
        "holder": {"jwk": holder.public_jwk()}})
    assert r.status_code == 201
    client.post(f"/issuer/v1/credentials/{a['id']}/suspend", headers=psb)

    listed = client.get("/issuer/v1/credentials", headers=psb).json()
    assert listed["total"] == 2 and {i["type"] for i in listed["items"]} == {"id_card"}
    assert all("claims" not in i and "credential" not in i for i in listed["items"])
    assert client.get("/issuer/v1/credentials", headers=hc).json()["total"] == 1
    found = client.get("/issuer/v1/credentials", headers=psb,
                       params={"q": "11010519900501002x"}).json()  # case-insensitive number
    assert [i["id"] for i in found["items"]] == [a["id"]]
    assert client.get("/issuer/v1/credentials", headers=psb,
                      params={"q": a["id"]}).json()["total"] == 1
    assert client.get("/issuer/v1/credentials", headers=psb,
                      params={"status": "suspended"}).json()["total"] == 1
    # another agency's number finds nothing, and its type is forbidden
    assert client.get("/issuer/v1/credentials", headers=hc,
                      params={"q": "11010519900501002X"}).json()["total"] == 0
    r = client.get("/issuer/v1/credentials", headers=hc, params={"type": "id_card"})
    assert r.status_code == 403 and r.json()["code"] == "type_not_allowed"
