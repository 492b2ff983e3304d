"""License events (issue 8): subscriptions checked against the data-sharing list, emission
on issue / amend / suspend / revoke, signed webhooks verified by a receiving agency,
retries with backoff, dead letters and redelivery, tampering, expiring scan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from core.clock import FixedClock
from core.db import make_engine
from core.errors import ELicenseError
from issuer import events_delivery
from issuer.app import bootstrap, create_app
from issuer.events import SIGNATURE_HEADER, matches, sign_webhook, verify_webhook
from issuer.events_models import Delivery, Subscription
from issuer.settings import IssuerSettings
from keys.software import SoftwareSigner, generate_signer
from tests.issuer.conftest import BASE, ISS, TestClient, agency_token, bearer, make_settings
from tests.issuer.events_receiver import Receiver

HOOK = f"{BASE}/hc-hooks/hooks"


def company(**over: Any) -> dict[str, Any]:
    claims = {"company_name": "某某理发有限公司",
              "unified_social_credit_code": "91110105MA01ABCD1X",
              "legal_representative": "李四", "business_scope": ["美容美发用品零售"],
              "registered_capital": "100万元", "address": "北京市朝阳区2号",
              "established_date": "2020-03-01"}
    claims.update(over)
    return claims


class World:
    def __init__(self, client: TestClient, settings: IssuerSettings, clock: FixedClock,
                 receiver: Receiver) -> None:
        self.client, self.settings, self.clock, self.receiver = client, settings, clock, receiver
        self.login()
        self.engine = make_engine(settings.database_url)

    def login(self) -> None:
        self.amr = bearer(agency_token(self.client, "amr"))
        self.hc = bearer(agency_token(self.client, "hc"))

    def deliver(self) -> events_delivery.DeliveryRun:
        with Session(self.engine) as s:
            return events_delivery.deliver_due(session=s, http=self.client, clock=self.clock,
                                               settings=self.settings)

    def issue(self, holder: SoftwareSigner, **over: Any) -> str:
        r = self.client.post("/issuer/v1/credentials", headers=self.amr, json={
            "type": "business_license", "claims": company(**over),
            "holder": {"jwk": holder.public_jwk()}})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def subscribe(self, **body: Any) -> dict[str, Any]:
        doc = {"type": "business_license", "events": ["changed"], "field": "business_scope",
               "contains": "理发", "fields": ["company_name", "business_scope", "address",
                                            "unified_social_credit_code"], "url": HOOK}
        doc.update(body)
        r = self.client.post("/issuer/v1/subscriptions", headers=self.hc, json=doc)
        assert r.status_code == 201, r.text
        return dict(r.json())


@pytest.fixture
def world(any_db_url: str, clock: FixedClock) -> Iterator[World]:
    settings = make_settings(any_db_url, events_poll_s=0, events_max_attempts=4,
                             events_backoff_base_s=10)
    bootstrap(settings, clock=clock)
    sub = create_app(settings, clock=clock)
    receiver = Receiver(jwks={}, iss=ISS)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with sub.router.lifespan_context(sub):
            yield

    parent = FastAPI(lifespan=lifespan)
    parent.mount("/issuer", sub)
    parent.mount("/hc-hooks", receiver.app())
    with TestClient(parent, base_url=BASE) as c:
        receiver.jwks = c.get("/issuer/jwks.json").json()
        w = World(c, settings, clock, receiver)
        yield w
        w.engine.dispose()


def test_barbershop_added_reaches_the_health_commission(world: World) -> None:
    holder = generate_signer("ES256")
    world.subscribe()
    cred = world.issue(holder)
    assert world.deliver().delivered == 0  # "issued" is not subscribed to
    r = world.client.post(f"/issuer/v1/credentials/{cred}/amend", headers=world.amr, json={
        "claims": {"business_scope": ["美容美发用品零售", "理发服务"]}})
    assert r.status_code == 201, r.text
    new_id = r.json()["id"]
    assert "offer" in r.json()  # the amended license goes to the company's wallet
    run = world.deliver()
    assert (run.delivered, run.failed) == (1, 0)
    [task] = world.receiver.tasks.values()
    ev = task["event"]
    assert ev["kind"] == "changed" and ev["credential_id"] == new_id
    assert ev["replaces"] == cred and ev["changed"] == ["business_scope"]
    assert ev["claims"]["business_scope"] == ["美容美发用品零售", "理发服务"]
    # only what hc declared (and may see): never the legal representative or capital
    assert set(ev["claims"]) == {"company_name", "business_scope", "address",
                                 "unified_social_credit_code"}
    assert world.deliver().delivered == 0  # nothing due twice
    # the old credential is revoked by the amendment
    assert world.client.get(f"/issuer/v1/credentials/{cred}",
                            headers=world.amr).json()["state"] == "revoked"


def test_filter_ignores_other_changes(world: World) -> None:
    holder = generate_signer("ES256")
    world.subscribe()
    cred = world.issue(holder)
    r = world.client.post(f"/issuer/v1/credentials/{cred}/amend", headers=world.amr,
                          json={"claims": {"address": "北京市朝阳区3号"},
                                "holder": {"jwk": holder.public_jwk()}})
    assert r.status_code == 201, r.text
    assert world.deliver().delivered == 0


def test_receiver_down_then_up_retries_without_duplicate_processing(world: World) -> None:
    holder = generate_signer("ES256")
    world.subscribe(events=["suspended", "revoked"], field=None, contains=None)
    cred = world.issue(holder)
    world.receiver.down = True
    assert world.client.post(f"/issuer/v1/credentials/{cred}/suspend",
                             headers=world.amr).status_code == 200
    assert world.deliver().failed == 1
    assert world.deliver().failed == 0  # not due yet: backoff 10 s
    world.clock.advance(10)
    assert world.deliver().failed == 1  # attempt 2
    world.clock.advance(19)
    assert world.deliver().failed == 0  # backoff doubled to 20 s
    world.clock.advance(1)
    world.receiver.down = False
    assert world.deliver().delivered == 1
    assert world.receiver.calls == 3 and len(world.receiver.tasks) == 1
    # at least once: an operator redelivers; the receiver sees the id again, no new task
    with Session(world.engine) as s:
        [d] = s.exec(select(Delivery)).all()
        events_delivery.redeliver(session=s, now=world.clock.now(), ident=d.event_id)
    assert world.deliver().delivered == 1
    assert len(world.receiver.tasks) == 1 and world.receiver.duplicates == 1


def test_dead_letters_and_redeliver(world: World) -> None:
    holder = generate_signer("ES256")
    world.subscribe(events=["revoked"], field=None, contains=None)
    cred = world.issue(holder)
    world.receiver.down = True
    world.client.post(f"/issuer/v1/credentials/{cred}/revoke", headers=world.amr)
    for _ in range(4):
        world.deliver()
        world.clock.advance(10_000)
    world.login()  # the access tokens expired meanwhile
    r = world.client.get("/issuer/v1/event-deliveries?state=dead", headers=world.hc)
    [dead] = r.json()["deliveries"]
    assert dead["attempts"] == 4 and dead["last_error"] == "HTTP 503"
    world.receiver.down = False
    assert world.deliver().delivered == 0  # dead is dead
    # another agency cannot touch hc's deliveries
    r = world.client.post(f"/issuer/v1/event-deliveries/{dead['id']}/redeliver",
                          headers=world.amr)
    assert r.json()["code"] == "delivery_not_found"
    r = world.client.post(f"/issuer/v1/event-deliveries/{dead['id']}/redeliver",
                          headers=world.hc)
    assert r.json() == {"queued": 1}
    assert world.deliver().delivered == 1
    assert [t["event"]["kind"] for t in world.receiver.tasks.values()] == ["revoked"]


def test_sharing_list_refuses_fields(world: World) -> None:
    r = world.client.post("/issuer/v1/subscriptions", headers=world.hc, json={
        "type": "business_license", "events": ["issued"],
        "fields": ["company_name", "legal_representative"], "url": HOOK})
    assert r.status_code == 403 and r.json()["code"] == "fields_not_shared"
    assert r.json()["fields"] == ["legal_representative"]
    r = world.client.post("/issuer/v1/subscriptions", headers=world.hc, json={
        "type": "id_card", "events": ["issued"], "fields": ["name", "portrait"], "url": HOOK})
    assert r.json()["code"] == "fields_not_shared"  # never share portraits with hc
    r = world.client.post("/issuer/v1/subscriptions", headers=world.hc, json={
        "type": "dog_license", "events": ["issued"], "fields": [], "url": HOOK})
    assert r.status_code == 403 and r.json()["code"] == "sharing_not_allowed"
    r = world.client.post("/issuer/v1/subscriptions", headers=world.hc, json={
        "type": "business_license", "events": ["changed"], "field": "registered_capital",
        "fields": ["company_name"], "url": HOOK})
    assert r.json()["code"] == "validation_failed"  # cannot filter on an unseen field
    r = world.client.post("/issuer/v1/subscriptions", headers=world.hc, json={
        "type": "business_license", "events": ["born"], "url": HOOK})
    assert r.json()["code"] == "validation_failed"


def test_subscriptions_list_and_delete(world: World) -> None:
    sub = world.subscribe(events=["issued"], field=None, contains=None)
    assert [s["id"] for s in world.client.get("/issuer/v1/subscriptions",
                                              headers=world.hc).json()["subscriptions"]] == [
        sub["id"]]
    assert world.client.get("/issuer/v1/subscriptions",
                            headers=world.amr).json()["subscriptions"] == []
    r = world.client.delete(f"/issuer/v1/subscriptions/{sub['id']}", headers=world.amr)
    assert r.json()["code"] == "subscription_not_found"
    assert world.client.delete(f"/issuer/v1/subscriptions/{sub['id']}",
                               headers=world.hc).status_code == 204
    world.issue(generate_signer("ES256"))
    assert world.deliver().delivered == 0


def test_issued_events_and_own_type_subscription(world: World) -> None:
    r = world.client.post("/issuer/v1/subscriptions", headers=world.amr, json={
        "type": "business_license", "events": ["issued"], "fields": ["registered_capital"],
        "url": HOOK})
    assert r.status_code == 201, r.text  # own type: every claim
    world.issue(generate_signer("ES256"))
    assert world.deliver().delivered == 1
    [task] = world.receiver.tasks.values()
    assert task["event"]["claims"] == {"registered_capital": "100万元"}


def test_expiring_is_emitted_once(world: World) -> None:
    world.subscribe(events=["expiring"], field=None, contains=None)
    r = world.client.post("/issuer/v1/credentials", headers=world.amr, json={
        "type": "business_license", "claims": company(),
        "holder": {"jwk": generate_signer("ES256").public_jwk()},
        "valid_until": world.clock.now() + 40 * 86_400})
    assert r.status_code == 201
    with Session(world.engine) as s:
        assert events_delivery.scan_expiring(session=s, settings=world.settings,
                                             now=world.clock.now()) == 0
        world.clock.advance(11 * 86_400)  # 29 days left: within the 30-day window
        assert events_delivery.scan_expiring(session=s, settings=world.settings,
                                             now=world.clock.now()) == 1
        assert events_delivery.scan_expiring(session=s, settings=world.settings,
                                             now=world.clock.now()) == 0
    assert world.deliver().delivered == 1


# --- signatures (receivers) --------------------------------------------------------------

@pytest.fixture
def signed() -> tuple[bytes, str, dict[str, Any]]:
    signer = generate_signer("EdDSA")
    body = orjson.dumps({"id": "e1", "kind": "revoked"})
    sig = sign_webhook(body, signer=signer, iss=ISS, event_id="e1", iat=1)
    return body, sig, {"keys": [signer.public_jwk()]}


def test_verify_webhook_accepts_the_signed_body(signed: tuple[bytes, str, dict[str, Any]]
                                                ) -> None:
    body, sig, jwks = signed
    assert verify_webhook(body, sig, jwks, iss=ISS)["kind"] == "revoked"


@pytest.mark.parametrize("mutate", [
    lambda b, s, j: (b.replace(b"revoked", b"issued!"), s, j),     # tampered body
    lambda b, s, j: (b, s, {"keys": [generate_signer("EdDSA").public_jwk()]}),  # other key
    lambda b, s, j: (b, s[:-4] + ("AAAA" if s[-4:] != "AAAA" else "BBBB"), j),  # signature
    lambda b, s, j: (orjson.dumps({"id": "e2", "kind": "revoked"}), s, j),  # another id
])
def test_verify_webhook_rejects_tampering(signed: tuple[bytes, str, dict[str, Any]],
                                          mutate: Any) -> None:
    body, sig, jwks = mutate(*signed)
    with pytest.raises(ELicenseError) as exc:
        verify_webhook(body, sig, jwks, iss=ISS)
    assert exc.value.code == "webhook_signature_invalid"


def test_verify_webhook_rejects_malformed_and_other_issuer(
        signed: tuple[bytes, str, dict[str, Any]]) -> None:
    body, sig, jwks = signed
    for bad in ("", "a.b.c", sig.replace("..", ".eA.")):
        with pytest.raises(ELicenseError) as exc:
            verify_webhook(body, bad, jwks)
        assert exc.value.code == "webhook_malformed"
    with pytest.raises(ELicenseError) as exc:
        verify_webhook(body, sig, jwks, iss="https://elsewhere/issuer")
    assert exc.value.code == "webhook_signature_invalid"


def test_tampered_delivery_is_rejected_by_the_receiver(world: World) -> None:
    """A body changed in transit (here: by a proxy re-serialising it) fails verification."""
    holder = generate_signer("ES256")
    world.subscribe(events=["issued"], field=None, contains=None)
    world.issue(holder)
    real_post = world.client.post

    def tampering_post(url: str, *, content: bytes, **kw: Any) -> Any:
        return real_post(url, content=content.replace("理发".encode(), "美发".encode()), **kw)

    class Proxy:
        post = staticmethod(tampering_post)

    with Session(world.engine) as s:
        run = events_delivery.deliver_due(session=s, http=Proxy(),  # type: ignore[arg-type]
                                          clock=world.clock, settings=world.settings)
    assert run.failed == 1 and world.receiver.rejected == ["webhook_signature_invalid"]
    assert world.receiver.tasks == {}


def test_matches_gains_only() -> None:
    sub = Subscription(id="s", agency_code="hc", type="business_license",
                       kinds='["changed"]', field="business_scope", contains="理发",
                       fields='["business_scope"]', url=HOOK, created_at=0)
    assert matches(sub, kind="changed", changed=["business_scope"],
                   claims={"business_scope": ["理发"]}, before={"business_scope": ["零售"]})
    assert not matches(sub, kind="changed", changed=["business_scope"],
                       claims={"business_scope": ["理发", "零售"]},
                       before={"business_scope": ["理发"]})
    assert not matches(sub, kind="revoked", changed=[], claims={}, before=None)


def test_signature_header_name() -> None:
    assert SIGNATURE_HEADER == "Elicense-Signature"


def test_cli_redeliver_dead(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from issuer.cli import app as issuer_cli

    world.subscribe(events=["issued"], field=None, contains=None)
    world.receiver.down = True
    world.issue(generate_signer("ES256"))
    for _ in range(4):
        world.deliver()
        world.clock.advance(10_000)
    monkeypatch.setenv("ELICENSE_DATABASE_URL", world.settings.database_url)
    runner = CliRunner()
    res = runner.invoke(issuer_cli, ["events", "list", "--state", "dead"])
    assert res.exit_code == 0 and "HTTP 503" in res.output
    res = runner.invoke(issuer_cli, ["events", "redeliver"])
    assert res.exit_code == 2
    res = runner.invoke(issuer_cli, ["events", "redeliver", "--dead"])
    assert res.exit_code == 0 and "1 deliveries queued" in res.output
    res = runner.invoke(issuer_cli, ["events", "redeliver", "nosuchevent"])
    assert res.exit_code == 1 and "delivery_not_found" in res.output
    world.receiver.down = False
    world.clock.advance(10**9)  # the CLI queued at the wall clock's now
    assert world.deliver().delivered == 1


def test_verify_webhook_freshness(signed: tuple[bytes, str, dict[str, Any]]) -> None:
    body, sig, jwks = signed  # signed at iat=1
    assert verify_webhook(body, sig, jwks, now=3601)["id"] == "e1"
    for now in (3602, -3600):
        with pytest.raises(ELicenseError) as exc:
            verify_webhook(body, sig, jwks, now=now)
        assert exc.value.code == "webhook_stale"


def test_a_claimed_delivery_is_sent_by_one_worker_only(world: World) -> None:
    """Two workers read the same due row; the second one's claim fails (lease)."""
    world.subscribe(events=["issued"], field=None, contains=None)
    world.issue(generate_signer("ES256"))
    now = world.clock.now()
    with Session(world.engine) as a, Session(world.engine) as b:
        [row] = a.exec(select(Delivery)).all()
        seen = (int(row.id or 0), row.next_attempt_at)
        assert events_delivery.claim(a, *seen, now=now, lease_s=60) is not None
        assert events_delivery.claim(b, *seen, now=now, lease_s=60) is None
    assert world.deliver().delivered == 0  # leased: not due for anyone
    world.clock.advance(60)
    assert world.deliver().delivered == 1  # the lease ended (the worker died): retried
    assert len(world.receiver.tasks) == 1


def test_bulk_issuance_emits_issued_events(world: World) -> None:
    world.subscribe(events=["issued"], field=None, contains=None)
    holder = generate_signer("ES256").public_jwk()
    lines = "\n".join(orjson.dumps({"ref": f"r{i}", "type": "business_license",
                                    "claims": company(company_name=f"公司{i}"),
                                    "holder": {"jwk": holder}}).decode() for i in range(3))
    r = world.client.post("/issuer/v1/credentials:batch", headers=world.amr, content=lines)
    assert r.status_code == 200 and r.text.count('"credential"') == 3, r.text
    assert world.deliver().delivered == 3
    assert sorted(t["company"] for t in world.receiver.tasks.values()) == [
        "公司0", "公司1", "公司2"]


def test_the_app_lifespan_loop_delivers(db_url: str, clock: FixedClock) -> None:
    """The background loop of ``create_app`` (``events_poll_s``) sends what is due."""
    import time

    settings = make_settings(db_url, events_poll_s=0.05)
    bootstrap(settings, clock=clock)
    receiver = Receiver(jwks={}, iss=ISS)
    subapps: list[FastAPI] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with subapps[0].router.lifespan_context(subapps[0]):
            yield

    parent = FastAPI(lifespan=lifespan)
    client = TestClient(parent, base_url=BASE)
    subapps.append(create_app(settings, clock=clock, http=client))
    parent.mount("/issuer", subapps[0])
    parent.mount("/hc-hooks", receiver.app())
    with client:
        receiver.jwks = client.get("/issuer/jwks.json").json()
        w = World(client, settings, clock, receiver)
        try:
            w.subscribe(events=["issued"], field=None, contains=None)
            w.issue(generate_signer("ES256"))
            deadline = time.monotonic() + 10
            while not receiver.tasks and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            w.engine.dispose()
    assert len(receiver.tasks) == 1 and receiver.rejected == []


def test_https_is_required_outside_dev(world: World) -> None:
    from issuer import subscriptions

    req = subscriptions.SubscriptionIn(type="business_license", events=["issued"],
                                       fields=["company_name"], url="http://hc.example/h")
    with Session(world.engine) as s, pytest.raises(ELicenseError) as exc:
        subscriptions.create(session=s, agency="hc", req=req, now=0)
    assert exc.value.code == "validation_failed"
    assert exc.value.extra["errors"][0]["code"] == "https_required"
