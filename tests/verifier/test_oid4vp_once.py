"""A verifier-initiated request is answered once (``verifier.oid4vp.respond``, docs/interop.md
§4.5), on SQLite and PostgreSQL: eight concurrent ``direct_post``s of one correctly bound
answer give exactly one verdict (valid) and seven ``oid4vp_request_answered``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.clock import FixedClock
from core.oid4vp import build_vp_token, direct_post_form
from tests.e2e.test_oid4vp_flow import CAFE, PUBLIC, _own_presentation, _request, _row, _status
from tests.wallet.conftest import Env, demo_world

THREADS = 8


@pytest.fixture
def world(any_db_url: str, clock: FixedClock) -> Generator[Env, None, None]:
    with demo_world(any_db_url, clock, public_url=PUBLIC) as env:
        yield env


def test_concurrent_answers_accept_one(world: Env) -> None:
    env = world
    req = _request(env, "internet_cafe", CAFE)
    row = _row(env, req["id"])
    presentation = _own_presentation(env, nonce=row.nonce, aud=row.client_id,
                                     disclose=["name", "document_number", "age_over_18"])
    form = direct_post_form(build_vp_token("internet_cafe", presentation), req["id"])

    def post(_: int) -> str:
        r = env.http.post(f"/verifier/v1/requests/{req['id']}/response", data=form)
        return "ok" if r.status_code == 200 else str(r.json()["code"])

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = Counter(pool.map(post, range(THREADS)))
    assert outcomes == {"ok": 1, "oid4vp_request_answered": THREADS - 1}
    assert _status(env, req, CAFE)["verdict"]["valid"]
