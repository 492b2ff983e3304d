"""Records retention and the ``elicense verifier`` / ``elicense trust`` commands that work on
the local database (purge, add-org, add-key, anchor-jwk)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from core.clock import FixedClock
from core.settings import BaseServiceSettings
from elicense.cli import app as root
from keys.service import ensure_active
from tests.verifier.world import World, principal
from verifier.models import VerifierRecord, VerifierReplay, VerifierToken
from verifier.orgs import hash_token
from verifier.records import purge_records


def test_purge_keeps_records_within_retention(world: World, clock: FixedClock) -> None:
    verifier = world.verifier()
    verifier.verify_qr(principal=principal(), scenario_id="internet_cafe",  # 7 days
                       qr=world.offline_qr("internet_cafe"))
    verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin",  # 180 days
                       qr=world.offline_qr("hotel_checkin"))
    assert purge_records(engine=world.engine, now=clock.now() + 6 * 86400) == 0
    assert purge_records(engine=world.engine, now=clock.now() + 8 * 86400) == 1
    with Session(world.engine) as s:
        [left] = s.exec(select(VerifierRecord)).all()
    assert left.scenario == "hotel_checkin"


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ELICENSE_DATABASE_URL", db_url)
    return db_url


def test_purge_command(world: World, cli_env: str) -> None:
    world.verifier().verify_qr(principal=principal(), scenario_id="internet_cafe",
                               qr=world.offline_qr("internet_cafe"))
    result = CliRunner().invoke(root, ["verifier", "purge"])
    assert result.exit_code == 0, result.output
    # The world's clock is in 2026-09; the system clock is later than 7 days + 5 minutes.
    with Session(world.engine) as s:
        assert s.exec(select(VerifierRecord)).all() == []
        assert s.exec(select(VerifierReplay)).all() == []


def test_add_org_and_key(world: World, cli_env: str) -> None:
    runner = CliRunner()
    made = runner.invoke(root, ["verifier", "add-org", "hotel-2", "--name-zh", "二号酒店",
                                "--name-en", "Hotel 2", "--scenario", "hotel_checkin"])
    assert made.exit_code == 0, made.output
    bad = runner.invoke(root, ["verifier", "add-org", "x", "--name-zh", "x", "--name-en", "x",
                               "--scenario", "no_such_scenario"])
    assert bad.exit_code != 0
    key = runner.invoke(root, ["verifier", "add-key", "hotel-2"])
    assert key.exit_code == 0, key.output
    secret = key.output.strip()
    with Session(world.engine) as s:
        row = s.get(VerifierToken, hash_token(secret))
        assert row is not None and row.org_id == "hotel-2"
        assert secret not in json.dumps([t.model_dump() for t in
                                         s.exec(select(VerifierToken)).all()])


def test_anchor_jwk(world: World, cli_env: str, clock: FixedClock) -> None:
    runner = CliRunner()
    assert runner.invoke(root, ["trust", "anchor-jwk"]).exit_code == 1
    with Session(world.engine) as s:
        row = ensure_active(session=s, owner="trust_anchor", alg="ES256",
                            settings=BaseServiceSettings(), clock=clock)
    out = runner.invoke(root, ["trust", "anchor-jwk"])
    assert out.exit_code == 0 and "d" not in json.loads(out.output)
    assert json.loads(out.output)["x"] == row.public_jwk_dict()["x"]
