"""The agency web page over HTTP: login (session cookie), issue from the form (holder key
and offer with PIN), revoke by hand, CSRF, zh/en."""

from __future__ import annotations

import json
import re

import orjson

from keys.software import SoftwareSigner

from .conftest import TestClient, id_card_claims


def _login(client: TestClient, agency: str = "psb") -> str:
    r = client.post("/issuer/login", data={"client_id": f"demo-{agency}",
                                           "client_secret": f"demo-{agency}-secret"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert "httponly" in r.headers["set-cookie"].lower()
    assert "samesite=strict" in r.headers["set-cookie"].lower()
    page = client.get("/issuer/").text
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert m
    return m.group(1)


def test_login_page_and_bad_login(client: TestClient) -> None:
    page = client.get("/issuer/")
    assert page.status_code == 200 and "客户端密钥" in page.text
    assert "Client secret" in client.get("/issuer/?lang=en").text
    r = client.post("/issuer/login", data={"client_id": "demo-psb", "client_secret": "no"})
    assert r.status_code == 401 and "invalid_client" in r.text


def test_issue_and_revoke_from_the_page(client: TestClient, holder: SoftwareSigner,
                                        psb: dict[str, str]) -> None:
    csrf = _login(client)
    r = client.post("/issuer/issue", data={
        "csrf": csrf, "type": "id_card", "claims": json.dumps(id_card_claims()),
        "holder_jwk": orjson.dumps(holder.public_jwk()).decode()})
    assert r.status_code == 200 and 'id="credential"' in r.text
    cred_id = re.search(r'id="cred-id">([0-9a-f]+)<', r.text).group(1)  # type: ignore[union-attr]
    r = client.post("/issuer/issue", data={
        "csrf": csrf, "type": "id_card", "claims": json.dumps(id_card_claims()),
        "offer": "1"})
    assert re.search(r'id="pin">\d{6}<', r.text)
    r = client.post(f"/issuer/credentials/{cred_id}/revoke", data={"csrf": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    got = client.get(f"/issuer/v1/credentials/{cred_id}", headers=psb).json()
    assert got["state"] == "revoked"


def test_form_errors_are_shown(client: TestClient) -> None:
    csrf = _login(client)
    r = client.post("/issuer/issue", data={"csrf": csrf, "type": "id_card",
                                           "claims": json.dumps({"name": "x"}), "offer": "1"})
    assert 'id="error"' in r.text and "validation_failed" in r.text
    assert "document_number" in r.text
    r = client.post("/issuer/issue", data={"csrf": csrf, "type": "business_license",
                                           "claims": "{}", "offer": "1"})
    assert "type_not_allowed" in r.text
    r = client.post("/issuer/issue", data={"csrf": csrf, "type": "id_card", "claims": "{"})
    assert "invalid_json" in r.text


def test_csrf_and_session_required(client: TestClient) -> None:
    r = client.post("/issuer/issue", data={"csrf": "x", "type": "id_card", "claims": "{}"})
    assert r.status_code == 401
    _login(client)
    r = client.post("/issuer/issue", data={"csrf": "0" * 32, "type": "id_card",
                                           "claims": "{}", "offer": "1"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_session_cookie_is_not_an_api_token(client: TestClient) -> None:
    _login(client)
    token = client.cookies.get("elicense_issuer_session")
    assert token
    r = client.get("/issuer/v1/credentials", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
