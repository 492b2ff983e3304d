"""Issuer test fixtures: the issuer app mounted at /issuer in a parent app (so URLs match
production), bootstrapped (issuer key, agencies, demo clients) on a fresh database, with a
settable clock; helpers for agency tokens, holder keys and sample claims."""

from __future__ import annotations

import base64
import io
import warnings
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from PIL import Image
from starlette.exceptions import StarletteDeprecationWarning

from core.clock import FixedClock
from issuer.app import bootstrap, create_app
from issuer.settings import IssuerSettings
from keys.software import SoftwareSigner, generate_signer

with warnings.catch_warnings():
    # starlette 1.x warns at import that its TestClient wants "httpx2"; it works on httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

__all__ = ["TestClient"]

NOW_FOR_TESTS = 1_790_000_000
BASE = "http://127.0.0.1:8000"
ISS = f"{BASE}/issuer"


def make_settings(db_url: str, **kw: Any) -> IssuerSettings:
    kw.setdefault("status_list_min_refresh_s", 0)
    kw.setdefault("status_list_size", 2**14)
    kw.setdefault("argon2_time_cost", 1)
    kw.setdefault("argon2_memory_kib", 1024)
    return IssuerSettings(database_url=db_url, public_url=BASE, mode="dev", **kw)


@contextmanager
def make_client(settings: IssuerSettings, clock: FixedClock) -> Iterator[TestClient]:
    """The bootstrapped issuer mounted at /issuer of a parent app, as production mounts it."""
    bootstrap(settings, clock=clock)
    sub = create_app(settings, clock=clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with sub.router.lifespan_context(sub):
            yield

    parent = FastAPI(lifespan=lifespan)
    parent.mount("/issuer", sub)
    with TestClient(parent, base_url=BASE) as c:
        yield c


@pytest.fixture
def settings(any_db_url: str) -> IssuerSettings:
    return make_settings(any_db_url)


@pytest.fixture
def client(settings: IssuerSettings, clock: FixedClock) -> Generator[TestClient, None, None]:
    with make_client(settings, clock) as c:
        yield c


def agency_token(client: TestClient, agency: str, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    r = client.post("/issuer/oauth/token", data=data,
                    auth=(f"demo-{agency}", f"demo-{agency}-secret"))
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def psb(client: TestClient) -> dict[str, str]:
    return bearer(agency_token(client, "psb"))


@pytest.fixture
def amr(client: TestClient) -> dict[str, str]:
    return bearer(agency_token(client, "amr"))


@pytest.fixture
def holder() -> SoftwareSigner:
    return generate_signer("ES256")


def id_card_claims(**over: Any) -> dict[str, Any]:
    claims = {"name": "张三", "sex": "男", "ethnicity": "汉", "birthdate": "1990-05-01",
              "address": "北京市东城区1号", "document_number": "11010519900501002X",
              "issuing_authority": "北京市公安局东城分局", "valid_from": "2020-01-01",
              "valid_until": "2040-01-01"}
    claims.update(over)
    return claims


def jpeg_b64(size: tuple[int, int] = (60, 80), quality: int = 80) -> str:
    buf = io.BytesIO()
    Image.new("RGB", size, (120, 130, 140)).save(buf, "JPEG", quality=quality)
    return base64.b64encode(buf.getvalue()).decode()


def issue_id_card(client: TestClient, headers: dict[str, str], holder: SoftwareSigner,
                  **over: Any) -> dict[str, Any]:
    r = client.post("/issuer/v1/credentials", headers=headers, json={
        "type": "id_card", "claims": id_card_claims(**over),
        "holder": {"jwk": holder.public_jwk()}})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body
