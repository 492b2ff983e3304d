"""The agency console over HTTP (issue 8): search, suspend / reinstate, amend (a reissue
offered to the holder, announced as ``changed``), subscriptions created and deleted from the
page and refused by the data-sharing list, zh/en."""

from __future__ import annotations

import json
import re

from sqlmodel import Session, select

from core.db import make_engine
from issuer.events_models import Event
from issuer.settings import IssuerSettings
from keys.software import SoftwareSigner

from .conftest import TestClient, issue_id_card
from .test_pages import _login


def test_search_suspend_reinstate(client: TestClient, holder: SoftwareSigner,
                                  psb: dict[str, str]) -> None:
    a = issue_id_card(client, psb, holder)["id"]
    b = issue_id_card(client, psb, holder, document_number="110105199001010011")["id"]
    csrf = _login(client)
    page = client.get("/issuer/", params={"q": "110105199001010011"}).text
    assert f'data-id="{b}"' in page and f'data-id="{a}"' not in page
    r = client.post(f"/issuer/credentials/{a}/suspend", data={"csrf": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/issuer/", params={"state": "suspended"}).text
    assert f'data-id="{a}"' in page and f'data-id="{b}"' not in page
    assert 'class="reinstate"' in page
    client.post(f"/issuer/credentials/{a}/reinstate", data={"csrf": csrf})
    assert client.get(f"/issuer/v1/credentials/{a}", headers=psb).json()["state"] == "valid"
    r = client.post(f"/issuer/credentials/{a}/reinstate", data={"csrf": csrf})
    assert 'id="error"' in r.text and "invalid_transition" in r.text
    r = client.post(f"/issuer/credentials/{a}/explode", data={"csrf": csrf})
    assert "invalid_request" in r.text
    r = client.post(f"/issuer/credentials/{a}/suspend", data={"csrf": "0" * 32})
    assert r.status_code == 403


def test_amend_from_the_page(client: TestClient, holder: SoftwareSigner,
                             psb: dict[str, str], settings: IssuerSettings) -> None:
    a = issue_id_card(client, psb, holder)["id"]
    csrf = _login(client)
    r = client.post(f"/issuer/credentials/{a}/amend",
                    data={"csrf": csrf, "claims": json.dumps({"address": "北京市西城区9号"})})
    assert re.search(r'id="pin">\d{6}<', r.text)
    new = re.search(r'id="cred-id">([0-9a-f]+)<', r.text).group(1)  # type: ignore[union-attr]
    assert client.get(f"/issuer/v1/credentials/{a}", headers=psb).json()["state"] == "revoked"
    assert client.get(f"/issuer/v1/credentials/{new}", headers=psb).json()["replaces"] == a
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        ev = s.exec(select(Event).where(Event.credential_id == new)).one()
    engine.dispose()
    assert ev.kind == "changed" and json.loads(ev.changed) == ["address"]
    r = client.post(f"/issuer/credentials/{new}/amend", data={"csrf": csrf, "claims": "[]"})
    assert "invalid_json" in r.text
    r = client.post(f"/issuer/credentials/{new}/amend",
                    data={"csrf": csrf, "claims": json.dumps({"birthdate": "x"})})
    assert "validation_failed" in r.text


def test_subscriptions_from_the_page(client: TestClient) -> None:
    csrf = _login(client, "hc")
    r = client.post("/issuer/subscriptions", data={
        "csrf": csrf, "type": "business_license", "events": ["changed"],
        "field": "business_scope", "contains": "理发",
        "fields": "company_name，business_scope", "url": "https://hc.example/hooks"},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/issuer/").text
    [sub] = re.findall(r'data-sub="([0-9a-f]+)"', page)
    assert "business_scope, company_name" in page and "∋ 理发" in page
    r = client.post("/issuer/subscriptions", data={
        "csrf": csrf, "type": "id_card", "events": ["issued"], "fields": "name,portrait",
        "url": "https://hc.example/hooks"})
    assert 'id="error"' in r.text and "fields_not_shared" in r.text and "portrait" in r.text
    r = client.post("/issuer/subscriptions", data={
        "csrf": csrf, "type": "id_card", "fields": "name", "url": "https://hc.example/h"})
    assert "validation_failed" in r.text  # no event kind ticked
    client.post(f"/issuer/subscriptions/{sub}/delete", data={"csrf": csrf})
    assert 'data-sub="' not in client.get("/issuer/").text
    assert "Event subscriptions" in client.get("/issuer/?lang=en").text
    assert "事件订阅" in client.get("/issuer/?lang=zh").text
