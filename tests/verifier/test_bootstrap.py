"""Dev bootstrap against the real issuer app: demo organisations with the contract API keys,
staff logins, the trust anchor key, and a trust list made from the issuer's metadata that
verifies against that anchor. Idempotent; nothing in prod mode."""

from __future__ import annotations

from fastapi import FastAPI
from sqlmodel import Session, select
from starlette.testclient import TestClient

from core.clock import FixedClock
from core.jose import public_key_from_jwk
from issuer.app import Settings as IssuerSettings
from issuer.app import bootstrap as issuer_bootstrap
from issuer.app import create_app as issuer_app
from keys.service import active_key
from verifier.app import bootstrap
from verifier.models import VerifierOrg, VerifierStaff, VerifierToken, VerifierTrustList
from verifier.orgs import hash_token
from verifier.settings import Settings
from verifier.trust import verify_trust_list

BASE = "http://127.0.0.1:8000"


def test_bootstrap_is_idempotent_and_trusts_the_local_issuer(db_url: str,
                                                             clock: FixedClock) -> None:
    isettings = IssuerSettings(database_url=db_url, public_url=BASE)
    issuer_bootstrap(isettings, clock=clock)
    root = FastAPI()
    root.mount("/issuer", issuer_app(isettings))
    settings = Settings(database_url=db_url, public_url=BASE)
    with TestClient(root, base_url=BASE) as http:
        bootstrap(settings, http=http, clock=clock)
        bootstrap(settings, http=http, clock=clock)
        iss_jwks = http.get("/issuer/jwks.json").json()
    from core.db import make_engine

    engine = make_engine(db_url)
    with Session(engine) as s:
        orgs = {o.id: o.scenario_ids() for o in s.exec(select(VerifierOrg)).all()}
        assert orgs["demo-police"] == {"roadside_inspection", "hotel_checkin"}
        assert orgs["demo-city"] == {"dog_license_check"}
        for key, org in [("demo-hotel-key", "demo-hotel"), ("demo-police-key", "demo-police"),
                         ("demo-cafe-key", "demo-cafe"), ("demo-city-key", "demo-city")]:
            token = s.get(VerifierToken, hash_token(key))
            assert token is not None and token.org_id == org
        assert len(s.exec(select(VerifierToken)).all()) == 4
        assert len(s.exec(select(VerifierStaff)).all()) == 4
        anchor = active_key(session=s, owner="trust_anchor")
        assert anchor is not None
        lists = s.exec(select(VerifierTrustList)).all()
    engine.dispose()
    tl = verify_trust_list(lists[-1].jws, anchor=public_key_from_jwk(anchor.public_jwk_dict()),
                           now=clock.now(), algorithms=("ES256", "EdDSA"))
    issuer = tl.issuer(f"{BASE}/issuer")
    assert {k["kid"] for k in iss_jwks["keys"]} <= set(issuer.keys)
    assert issuer.credential_type(vct=f"{BASE}/issuer/vct/id_card", agency="psb") == "id_card"


def test_bootstrap_does_nothing_in_prod(db_url: str) -> None:
    settings = Settings(database_url=db_url, mode="prod", key_encryption_secret="x" * 40,
                        trust_anchor_jwk='{"kty":"OKP","crv":"Ed25519","x":"AAAA"}',
                        wallet_client_secret="y" * 40)
    bootstrap(settings, http=None)  # type: ignore[arg-type]
    from core.db import make_engine

    engine = make_engine(db_url)
    with Session(engine) as s:
        assert s.exec(select(VerifierOrg)).all() == []
    engine.dispose()
