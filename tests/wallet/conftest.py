"""Wallet test rig: one parent app mounting the real issuer (unless a test opts out), the
wallet and a contract-shaped scenario catalog at ``/verifier`` (or the real verifier), called
through one ``TestClient`` (an ``httpx.Client``) that is also the wallet's client to the
other services — one pytest run, no ports, no mocks of the issuer.

``store_credential`` puts a license straight into a citizen's wallet (signed by a test
issuer key, copies bound to real holder keys from ``keys/``) for tests of presentation
logic that need no issuer round trip.
"""

from __future__ import annotations

import importlib
import secrets
import warnings
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.exceptions import StarletteDeprecationWarning

import issuer.app as issuer_app
from core.clock import FixedClock
from core.credential import StaticKeys, issue
from core.db import make_engine
from keys.software import SoftwareSigner, generate_signer
from tests.wallet.catalog import catalog_app
from wallet.app import create_app
from wallet.holder import new_holder_key
from wallet.models import Copy, Credential
from wallet.settings import Settings

with warnings.catch_warnings():
    # starlette 1.x warns at import that its TestClient wants "httpx2"; it works on httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

PUBLIC_URL = "http://testserver"
TEST_ISS = "https://test-issuer.example"
VERIFIER_SECRET = "demo-verifier-wallet-secret"  # the dev client of the team contract


@dataclass
class Env:
    http: TestClient
    settings: Settings
    clock: FixedClock
    engine: Engine
    issuer_signer: SoftwareSigner
    app: FastAPI
    tokens: dict[str, str] = field(default_factory=dict)

    def keys(self) -> StaticKeys:
        return StaticKeys({TEST_ISS: {"keys": [self.issuer_signer.public_jwk()]}})

    def citizen(self, username: str = "alice", password: str = "correct horse") -> dict[str, str]:
        """Register (once) and log in; the Authorization header of the citizen."""
        if username not in self.tokens:
            r = self.http.post("/wallet/v1/register",
                               json={"username": username, "password": password})
            assert r.status_code == 201, r.text
            r = self.http.post("/wallet/v1/login",
                               json={"username": username, "password": password})
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def user_id(self, username: str) -> int:
        from sqlmodel import select

        from wallet.models import User

        with Session(self.engine) as db:
            user = db.exec(select(User).where(User.username == username)).one()
            assert user.id is not None
            return user.id


def build_env(db_url: str, clock: FixedClock, *, public_url: str = PUBLIC_URL,
              real_verifier: bool = False, with_issuer: bool = True,
              **overrides: Any) -> Generator[Env, None, None]:
    """``real_verifier``: mount the verifier service itself (its catalog, its redeemer)
    instead of the contract-shaped catalog."""
    settings = Settings(database_url=db_url, public_url=public_url, **overrides)
    subapps: list[FastAPI] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Starlette does not run a mounted app's lifespan (engines are disposed there).
        async with AsyncExitStack() as stack:
            for sub in subapps:
                await stack.enter_async_context(sub.router.lifespan_context(sub))
            yield

    parent = FastAPI(lifespan=lifespan)
    http = TestClient(parent, base_url=public_url)
    issuer_mod = issuer_app if with_issuer else None
    if issuer_mod is not None:
        isettings = issuer_mod.Settings(database_url=db_url, public_url=public_url)
        subapps.append(issuer_mod.create_app(isettings, http=http, clock=clock))
        parent.mount("/issuer", subapps[-1])
    verifier_mod = importlib.import_module("verifier.app") if real_verifier else None
    if verifier_mod is not None:
        vsettings = verifier_mod.Settings(database_url=db_url, public_url=public_url)
        subapps.append(verifier_mod.create_app(vsettings, http=http, clock=clock))
        parent.mount("/verifier", subapps[-1])
    else:
        parent.mount("/verifier", catalog_app())
    subapps.append(create_app(settings, http=http, clock=clock))
    parent.mount("/wallet", subapps[-1])
    engine = make_engine(db_url)
    try:
        with http:
            if issuer_mod is not None:
                issuer_mod.bootstrap(isettings, http=http, clock=clock)
            if verifier_mod is not None:
                verifier_mod.bootstrap(vsettings, http=http, clock=clock)
            yield Env(http=http, settings=settings, clock=clock, engine=engine,
                      issuer_signer=generate_signer("EdDSA"), app=parent)
    finally:
        engine.dispose()


@contextmanager
def demo_world(db_url: str, clock: Any, **kw: Any) -> Iterator[Env]:
    """``build_env`` with the real verifier by default, and the wallet's demo data (the
    demo citizen holding real credentials picked up from the issuer)."""
    from wallet.demo import bootstrap

    kw.setdefault("real_verifier", True)
    gen = build_env(db_url, clock, **kw)
    env = next(gen)
    try:
        bootstrap(env.settings, http=env.http, clock=env.clock)
        yield env
    finally:
        gen.close()


@pytest.fixture
def env(db_url: str, clock: FixedClock) -> Generator[Env, None, None]:
    """The wallet and the catalog, no issuer (licenses come from ``store_credential``);
    modules that pick up from the real issuer use ``issuer_env`` as their ``env``."""
    yield from build_env(db_url, clock, batch_size=3, with_issuer=False)


@pytest.fixture
def issuer_env(db_url: str, clock: FixedClock) -> Generator[Env, None, None]:
    yield from build_env(db_url, clock, batch_size=3)


def store_credential(env: Env, username: str, type_: str, claims: dict[str, Any], *,
                     copies: int = 3, status: dict[str, Any] | None = None) -> str:
    """A license of ``type_`` in ``username``'s wallet, issued by the test issuer key."""
    user_id = env.user_id(username)
    now = env.clock.now()
    cred_id = secrets.token_hex(16)
    with Session(env.engine, expire_on_commit=False) as db:
        db.add(Credential(id=cred_id, user_id=user_id, type=type_,
                          vct=f"{TEST_ISS}/vct/{type_}", issuer=TEST_ISS, agency="psb",
                          configuration_id=type_, issued_at=now, expires_at=now + 86400,
                          claims_json=orjson.dumps(claims).decode(),
                          disclosable_json=orjson.dumps(sorted(claims)).decode(),
                          created_at=now))
        db.flush()
        for _ in range(copies):
            holder = new_holder_key(db=db, user_id=user_id, alg="ES256", settings=env.settings,
                                    clock=env.clock)
            sd_jwt = issue(signer=env.issuer_signer, iss=TEST_ISS,
                           vct=f"{TEST_ISS}/vct/{type_}", claims={**claims, "agency": "psb"},
                           sd=list(claims), holder_jwk=holder.public_jwk(), iat=now - 10,
                           exp=now + 86400, status=status)
            ref = (status or {}).get("status_list") or {}
            db.add(Copy(credential_id=cred_id, sd_jwt=sd_jwt, holder_kid=holder.kid,
                        status_uri=ref.get("uri"), status_idx=ref.get("idx"),
                        created_at=now))
        db.commit()
    return cred_id


ID_CLAIMS = {"name": "张三", "sex": "男", "ethnicity": "汉", "birthdate": "1990-03-07",
             "address": "北京市东城区示例路1号", "document_number": "11010119900307001X",
             "age_over_18": True, "age_over_60": False, "portrait": "/9j/AAAA"}
