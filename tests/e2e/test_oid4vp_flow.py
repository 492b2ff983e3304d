"""OpenID4VP 1.0 verifier-initiated flow wired end to end (issue 6 part B; docs/interop.md §6):
the real issuer, wallet and verifier in one process over one ``TestClient``. The verifier
makes a request from a scenario, the wallet resolves the ``openid4vp://`` link, checks the
signed Request Object against the registered organisation's key and answers by
``direct_post``; the verifier's verdict comes from the same pipeline as a QR.

Negative paths: unsigned / wrongly signed Request Object and a query beyond the scenario
(the wallet refuses with a typed code), wrong nonce and wrong ``aud`` (the verifier's
verdict fails ``key_binding``), a response after expiry and a second response (refused).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Generator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session, select

from core.clock import FixedClock
from core.credential import present
from core.jose import b64u_decode, b64u_encode, json_loads, sign_compact
from core.oid4vp import build_vp_token, direct_post_form
from keys.service import active_signer
from tests.conftest import NOW
from tests.wallet.conftest import Env, demo_world
from verifier.oid4vp import key_owner
from verifier.oid4vp_models import VerifierPresentationRequest
from verifier.settings import Settings as VerifierSettings
from wallet.demo import DEMO_PASSWORD, DEMO_USER
from wallet.models import Copy, Credential

PUBLIC = "http://localhost"  # http is accepted on loopback only (RFC 8252 §7.3)
HOTEL = {"Authorization": "Bearer demo-hotel-key"}
CAFE = {"Authorization": "Bearer demo-cafe-key"}


@pytest.fixture(scope="module")
def world(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> Generator[Env, None, None]:
    """One issuer + wallet + verifier per module (the bootstraps are the slow part); every
    test makes its own request, so they do not see each other."""
    path = tmp_path_factory.mktemp("oid4vp") / "test.db"
    shutil.copyfile(_sqlite_template, path)
    with demo_world(f"sqlite:///{path}", FixedClock(NOW), public_url=PUBLIC) as env:
        yield env


def _citizen(env: Env) -> dict[str, str]:
    # One login per module world: the wallet rate-limits logins per account.
    if DEMO_USER not in env.tokens:
        r = env.http.post("/wallet/v1/login", json={"username": DEMO_USER,
                                                    "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        env.tokens[DEMO_USER] = r.json()["access_token"]
    return {"Authorization": f"Bearer {env.tokens[DEMO_USER]}"}


def _request(env: Env, scenario: str = "hotel_checkin",
             org: dict[str, str] = HOTEL) -> dict[str, Any]:
    r = env.http.post("/verifier/v1/requests", headers=org, json={"scenario": scenario})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _credential(env: Env, type_: str) -> str:
    r = env.http.get("/wallet/v1/credentials", headers=_citizen(env))
    assert r.status_code == 200, r.text
    return next(c["id"] for c in r.json()["credentials"] if c["type"] == type_)


def _status(env: Env, req: dict[str, Any], org: dict[str, str] = HOTEL) -> dict[str, Any]:
    r = env.http.get(f"/verifier/v1/requests/{req['id']}", headers=org)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _checks(verdict: dict[str, Any]) -> dict[str, Any]:
    return {c["name"]: c["code"] for c in verdict["checks"] if not c["ok"]}


def test_hotel_checkin_over_openid4vp(world: Env) -> None:
    env = world
    citizen = _citizen(env)
    req = _request(env)
    assert req["qr_payload"].startswith("openid4vp://?client_id=")
    assert req["png_base64"] and req["expires_at"] > env.clock.now()
    assert _status(env, req)["state"] == "pending"

    r = env.http.post("/wallet/v1/oid4vp/resolve", headers=citizen,
                      json={"uri": req["qr_payload"]})
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["verifier"]["name"]["en"] == "Demo Hotel"
    assert seen["verifier"]["client_id"] == f"{PUBLIC}/verifier/orgs/demo-hotel"
    assert seen["scenario"]["id"] == "hotel_checkin"
    assert "name" in seen["claims"] and "document_number" in seen["claims"]
    id_card = _credential(env, "id_card")
    assert [c["id"] for c in seen["credentials"]] == [id_card]  # not the driving license

    r = env.http.post("/wallet/v1/oid4vp/respond", headers=citizen, json={
        "request_id": seen["request_id"], "credential_id": id_card, "consent": True})
    assert r.status_code == 200, r.text
    assert r.json()["sent"] == "vp_token"

    answered = _status(env, req)
    assert answered["state"] == "answered"
    verdict = answered["verdict"]
    assert verdict["valid"], verdict
    assert verdict["mode"] == "oid4vp" and verdict["credential_type"] == "id_card"
    assert set(verdict["claims"]) >= {"name", "document_number"}
    # another organisation cannot read it
    r = env.http.get(f"/verifier/v1/requests/{req['id']}", headers=CAFE)
    assert r.status_code == 404 and r.json()["code"] == "oid4vp_request_not_found"
    # the citizen's access log has it
    log = env.http.get("/wallet/v1/access-log", headers=citizen)
    assert log.status_code == 200
    assert "oid4vp" in log.text


def test_refusal_is_reported_to_the_verifier(world: Env) -> None:
    env = world
    req = _request(env)
    r = env.http.post("/wallet/v1/oid4vp/respond", headers=_citizen(env), json={
        "request_id": req["qr_payload"], "consent": False})
    assert r.status_code == 200, r.text
    assert r.json()["sent"] == "access_denied"
    answered = _status(env, req)
    assert answered["state"] == "refused" and answered["error"] == "access_denied"


def test_second_response_is_refused(world: Env) -> None:
    env = world
    citizen = _citizen(env)
    req = _request(env)
    body = {"request_id": req["qr_payload"], "credential_id": _credential(env, "id_card"),
            "consent": True}
    assert env.http.post("/wallet/v1/oid4vp/respond", headers=citizen,
                         json=body).status_code == 200
    # the request object is no longer served: a wallet cannot even start again
    r = env.http.post("/wallet/v1/oid4vp/respond", headers=citizen, json=body)
    assert r.status_code == 409 and r.json()["code"] == "oid4vp_request_closed"
    assert r.json()["upstream_code"] == "oid4vp_request_answered"
    # a direct second post to the response_uri is refused with its own code
    r = env.http.post(f"/verifier/v1/requests/{req['id']}/response",
                      data={"error": "access_denied", "state": req["id"]})
    assert r.status_code == 409 and r.json()["code"] == "oid4vp_request_answered"
    assert _status(env, req)["verdict"]["valid"]


def test_response_after_expiry_is_refused(world: Env) -> None:
    env = world
    req = _request(env)
    delta = req["expires_at"] - env.clock.now()
    env.clock.advance(delta)
    try:
        r = env.http.post(f"/verifier/v1/requests/{req['id']}/response",
                          data={"error": "access_denied", "state": req["id"]})
        assert r.status_code == 409 and r.json()["code"] == "oid4vp_request_expired"
        assert _status(env, req)["state"] == "expired"
        r = env.http.get(f"/verifier/v1/requests/{req['id']}/request-object")
        assert r.status_code == 409 and r.json()["code"] == "oid4vp_request_expired"
    finally:
        env.clock.advance(-delta)  # the module's other tests share this clock


def test_state_must_be_the_requests(world: Env) -> None:
    env = world
    req = _request(env)
    r = env.http.post(f"/verifier/v1/requests/{req['id']}/response",
                      data={"error": "access_denied", "state": "another"})
    assert r.status_code == 400 and r.json()["code"] == "oid4vp_state_mismatch"
    assert _status(env, req)["state"] == "pending"


# --- the verifier refuses a presentation not bound to the request ---------------------


def _own_presentation(env: Env, *, nonce: str, aud: str, disclose: list[str]) -> str:
    """An SD-JWT+KB made from the demo citizen's stored id_card copy, bound as asked."""
    from wallet.holder import holder_signer

    with Session(env.engine) as db:
        cred = db.get(Credential, _credential(env, "id_card"))
        assert cred is not None
        copy = db.exec(select(Copy).where(Copy.credential_id == cred.id)).first()
        assert copy is not None
        signer = holder_signer(db=db, user_id=cred.user_id, kid=copy.holder_kid,
                               settings=env.settings)
        return present(copy.sd_jwt, disclose=disclose, holder=signer, nonce=nonce, aud=aud,
                       iat=env.clock.now())


def _row(env: Env, request_id: str) -> VerifierPresentationRequest:
    with Session(env.engine) as db:
        row = db.get(VerifierPresentationRequest, request_id)
        assert row is not None
        return row


@pytest.mark.parametrize("wrong", ["nonce", "aud"])
def test_wrong_nonce_or_aud_fails_key_binding(world: Env, wrong: str) -> None:
    env = world
    req = _request(env, "internet_cafe", CAFE)
    row = _row(env, req["id"])
    nonce = "someone-elses-nonce" if wrong == "nonce" else row.nonce
    aud = f"{PUBLIC}/verifier/orgs/demo-hotel" if wrong == "aud" else row.client_id
    presentation = _own_presentation(env, nonce=nonce, aud=aud,
                                     disclose=["name", "document_number", "age_over_18"])
    form = direct_post_form(build_vp_token("internet_cafe", presentation), req["id"])
    r = env.http.post(f"/verifier/v1/requests/{req['id']}/response", data=form)
    assert r.status_code == 200, r.text
    verdict = _status(env, req, CAFE)["verdict"]
    assert not verdict["valid"]
    assert _checks(verdict)["key_binding"] == ("nonce_mismatch" if wrong == "nonce"
                                               else "aud_mismatch")


def test_right_nonce_and_aud_pass(world: Env) -> None:
    """The control of the test above: the same hand-made answer, correctly bound."""
    env = world
    req = _request(env, "internet_cafe", CAFE)
    row = _row(env, req["id"])
    presentation = _own_presentation(env, nonce=row.nonce, aud=row.client_id,
                                     disclose=["name", "document_number", "age_over_18"])
    form = direct_post_form(build_vp_token("internet_cafe", presentation), req["id"])
    assert env.http.post(f"/verifier/v1/requests/{req['id']}/response",
                         data=form).status_code == 200
    assert _status(env, req, CAFE)["verdict"]["valid"]


def test_vp_token_for_another_query_is_refused(world: Env) -> None:
    env = world
    req = _request(env, "internet_cafe", CAFE)
    row = _row(env, req["id"])
    presentation = _own_presentation(env, nonce=row.nonce, aud=row.client_id,
                                     disclose=["name"])
    form = direct_post_form(build_vp_token("hotel_checkin", presentation), req["id"])
    r = env.http.post(f"/verifier/v1/requests/{req['id']}/response", data=form)
    assert r.status_code == 400 and r.json()["code"] == "authorization_response_invalid"


# --- the wallet refuses a request it cannot trust or that asks too much ---------------


def _replace_request_object(env: Env, request_id: str, jws: str) -> None:
    with Session(env.engine) as db:
        row = db.get(VerifierPresentationRequest, request_id)
        assert row is not None
        row.request_jws = jws
        db.add(row)
        db.commit()


def _parts(jws: str) -> tuple[dict[str, Any], dict[str, Any]]:
    h, p, _ = jws.split(".")
    return json_loads(b64u_decode(h)), json_loads(b64u_decode(p))


def _resolve(env: Env, req: dict[str, Any]) -> Any:
    return env.http.post("/wallet/v1/oid4vp/resolve", headers=_citizen(env),
                         json={"uri": req["qr_payload"]})


def test_unsigned_request_object_is_refused(world: Env) -> None:
    env = world
    req = _request(env)
    header, payload = _parts(_row(env, req["id"]).request_jws)
    unsigned = ".".join([b64u_encode(json.dumps({**header, "alg": "none"}).encode()),
                         b64u_encode(json.dumps(payload).encode()), ""])
    _replace_request_object(env, req["id"], unsigned)
    r = _resolve(env, req)
    assert r.status_code == 400 and r.json()["code"] == "request_object_unsigned"
    assert _status(env, req)["state"] == "pending"  # nothing was posted (§5.10)


def test_tampered_request_object_is_refused(world: Env) -> None:
    env = world
    req = _request(env)
    jws = _row(env, req["id"]).request_jws
    h, p, s = jws.split(".")
    payload = json_loads(b64u_decode(p))
    payload["nonce"] = "chosen-by-an-attacker"
    _replace_request_object(env, req["id"],
                            ".".join([h, b64u_encode(json.dumps(payload).encode()), s]))
    r = _resolve(env, req)
    assert r.status_code == 400 and r.json()["code"] == "request_object_signature_invalid"


def test_request_signed_by_another_organisation_is_refused(world: Env) -> None:
    """The café's key signing a request under the hotel's client_id."""
    env = world
    _request(env, "internet_cafe", CAFE)  # the café has a key now
    req = _request(env)
    header, payload = _parts(_row(env, req["id"]).request_jws)
    with Session(env.engine) as db:
        cafe = active_signer(session=db, owner=key_owner("demo-cafe"),
                             settings=VerifierSettings(database_url=str(env.engine.url),
                                                       public_url=PUBLIC))
    forged = sign_compact({"typ": header["typ"]}, payload, cafe)
    _replace_request_object(env, req["id"], forged)
    r = _resolve(env, req)
    assert r.status_code == 400 and r.json()["code"] == "request_object_client_unknown"


def test_unregistered_client_id_is_refused(world: Env) -> None:
    env = world
    req = _request(env)
    link = req["qr_payload"].replace("%2Forgs%2Fdemo-hotel", "%2Forgs%2Fnobody")
    r = env.http.post("/wallet/v1/oid4vp/resolve", headers=_citizen(env), json={"uri": link})
    assert r.status_code == 400 and r.json()["code"] == "request_object_client_unknown"


def test_request_uri_elsewhere_is_not_fetched(world: Env) -> None:
    """The wallet server fetches Request Objects from the registered verifier only."""
    env = world
    req = _request(env)
    link = req["qr_payload"].replace("request_uri=http%3A%2F%2Flocalhost%2Fverifier",
                                     "request_uri=http%3A%2F%2Flocalhost%2Fissuer")
    assert link != req["qr_payload"]
    r = env.http.post("/wallet/v1/oid4vp/resolve", headers=_citizen(env), json={"uri": link})
    assert r.status_code == 400 and r.json()["code"] == "authorization_request_invalid"


def test_query_beyond_the_scenario_is_refused(world: Env) -> None:
    """An internet café asking for the birthdate (its scenario never allows it)."""
    env = world
    req = _request(env, "internet_cafe", CAFE)
    row = _row(env, req["id"])
    header, payload = _parts(row.request_jws)
    payload["dcql_query"]["credentials"][0]["claims"].append(
        {"id": "birthdate", "path": ["birthdate"]})
    with Session(env.engine) as db:
        signer = active_signer(session=db, owner=key_owner("demo-cafe"),
                               settings=VerifierSettings(database_url=str(env.engine.url),
                                                         public_url=PUBLIC))
    _replace_request_object(env, req["id"], sign_compact({"typ": header["typ"]}, payload,
                                                         signer))
    r = _resolve(env, req)
    assert r.status_code == 403 and r.json()["code"] == "dcql_claim_not_allowed"
    # the verifier hears access_denied, nothing more
    answered = _status(env, req, CAFE)
    assert answered["state"] == "refused" and answered["error"] == "access_denied"


def test_scenario_the_organisation_is_not_registered_for(world: Env) -> None:
    env = world
    req = _request(env, "internet_cafe", CAFE)
    header, payload = _parts(_row(env, req["id"]).request_jws)
    payload["dcql_query"]["credentials"][0]["id"] = "hotel_checkin"
    with Session(env.engine) as db:
        signer = active_signer(session=db, owner=key_owner("demo-cafe"),
                               settings=VerifierSettings(database_url=str(env.engine.url),
                                                         public_url=PUBLIC))
    _replace_request_object(env, req["id"], sign_compact({"typ": header["typ"]}, payload,
                                                         signer))
    r = _resolve(env, req)
    assert r.status_code == 403 and r.json()["code"] == "oid4vp_scenario_not_registered"


def test_registry_entry_and_request_object_are_public(world: Env) -> None:
    env = world
    req = _request(env)
    r = env.http.get(urlsplit(req["request_uri"]).path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/oauth-authz-req+jwt")
    client_id = parse_qs(urlsplit(req["qr_payload"]).query)["client_id"][0]
    entry = env.http.get(urlsplit(client_id).path).json()
    assert entry["client_id"] == client_id and entry["scenarios"] == ["hotel_checkin"]
    assert entry["jwks"]["keys"][0]["kid"] == _parts(r.text)[0]["kid"]
    r = env.http.get("/verifier/orgs/nobody")
    assert r.status_code == 404 and r.json()["code"] == "oid4vp_client_not_found"


def test_request_for_a_scenario_the_org_may_not_use(world: Env) -> None:
    r = world.http.post("/verifier/v1/requests", headers=CAFE,
                        json={"scenario": "hotel_checkin"})
    assert r.status_code == 403 and r.json()["code"] == "scenario_not_allowed"


def test_roadside_answers_with_a_vehicle_license(world: Env) -> None:
    """Roadside inspection accepts a driving or a vehicle license, which share no claim: the
    query's per-type claim sets (from the issuer's type metadata) let either answer."""
    env = world
    police = {"Authorization": "Bearer demo-police-key"}
    citizen = _citizen(env)
    req = _request(env, "roadside_inspection", police)
    r = env.http.post("/wallet/v1/oid4vp/resolve", headers=citizen,
                      json={"uri": req["qr_payload"]})
    assert r.status_code == 200, r.text
    offered = {c["type"]: c for c in r.json()["credentials"]}
    assert set(offered) == {"driving_license", "vehicle_license"}
    assert set(offered["vehicle_license"]["disclose"]) == {"plate_number", "owner_name",
                                                           "vehicle_type"}
    r = env.http.post("/wallet/v1/oid4vp/respond", headers=citizen, json={
        "request_id": req["qr_payload"], "credential_id": offered["vehicle_license"]["id"],
        "consent": True})
    assert r.status_code == 200, r.text
    verdict = _status(env, req, police)["verdict"]
    assert verdict["valid"], verdict
    assert set(verdict["claims"]) == {"plate_number", "owner_name", "vehicle_type"}


def test_citizen_page_needs_its_csrf_token(world: Env) -> None:
    """The page's respond form is a state change: without the page's CSRF token, refused."""
    import re

    env = world
    req = _request(env)
    try:
        login = env.http.get("/wallet/")
        form_token = re.search(r'name="form_token" value="([^"]+)"', login.text)
        assert form_token
        r = env.http.post("/wallet/login", data={"username": DEMO_USER,
                                                 "password": DEMO_PASSWORD,
                                                 "form_token": form_token.group(1)},
                          follow_redirects=False)
        assert r.status_code == 303, r.text
        page = env.http.get("/wallet/scan", params={"uri": req["qr_payload"]})
        assert page.status_code == 200 and "示范酒店" in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        form = {"uri": req["qr_payload"], "decision": "refuse"}
        r = env.http.post("/wallet/scan/respond", data={**form, "csrf": "forged"})
        assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
        assert _status(env, req)["state"] == "pending"
        r = env.http.post("/wallet/scan/respond", data={**form, "csrf": csrf.group(1)})
        assert r.status_code == 200 and 'data-sent="access_denied"' in r.text
        assert _status(env, req)["state"] == "refused"
    finally:
        env.http.cookies.clear()  # the module's other tests use bearer tokens only


def test_answered_requests_are_deleted_after_their_retention(world: Env) -> None:
    """A verdict holds the disclosed claims: gone RETAIN_S after the request expires."""
    from verifier.oid4vp import RETAIN_S

    env = world
    citizen = _citizen(env)
    req = _request(env, "internet_cafe", CAFE)
    assert env.http.post("/wallet/v1/oid4vp/respond", headers=citizen, json={
        "request_id": req["qr_payload"], "credential_id": _credential(env, "id_card"),
        "consent": True}).status_code == 200
    delta = req["expires_at"] - env.clock.now() + RETAIN_S
    env.clock.advance(delta)
    try:
        assert _status(env, req, CAFE)["verdict"]["valid"]  # still there at the edge
        env.clock.advance(1)
        _request(env, "internet_cafe", CAFE)  # a new request purges the old ones
        r = env.http.get(f"/verifier/v1/requests/{req['id']}", headers=CAFE)
        assert r.status_code == 404 and r.json()["code"] == "oid4vp_request_not_found"
    finally:
        env.clock.advance(-delta - 1)


def test_wallet_refuses_a_license_the_scenario_does_not_take(world: Env) -> None:
    env = world
    req = _request(env)
    r = env.http.post("/wallet/v1/oid4vp/respond", headers=_citizen(env), json={
        "request_id": req["qr_payload"], "credential_id": _credential(env, "driving_license"),
        "consent": True})
    assert r.status_code == 422 and r.json()["code"] == "scenario_not_applicable"
    assert _status(env, req)["state"] == "pending"  # the citizen may still pick another


def test_verifier_refuses_a_license_type_the_scenario_does_not_take(world: Env) -> None:
    """A hand-made answer with the dog license to the internet café: ``type_allowed``."""
    env = world
    req = _request(env, "internet_cafe", CAFE)
    row = _row(env, req["id"])
    from wallet.holder import holder_signer

    with Session(env.engine) as db:
        cred = db.get(Credential, _credential(env, "dog_license"))
        assert cred is not None
        copy = db.exec(select(Copy).where(Copy.credential_id == cred.id)).first()
        assert copy is not None
        signer = holder_signer(db=db, user_id=cred.user_id, kid=copy.holder_kid,
                               settings=env.settings)
        presentation = present(copy.sd_jwt, disclose=["owner_name"], holder=signer,
                               nonce=row.nonce, aud=row.client_id, iat=env.clock.now())
    form = direct_post_form(build_vp_token("internet_cafe", presentation), req["id"])
    assert env.http.post(f"/verifier/v1/requests/{req['id']}/response",
                         data=form).status_code == 200
    verdict = _status(env, req, CAFE)["verdict"]
    assert not verdict["valid"] and _checks(verdict)["type_allowed"] == "type_not_allowed"
