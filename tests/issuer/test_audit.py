"""The append-only, hash-chained audit log: every action leaves a row without personal
data; ``elicense issuer audit verify`` finds a row tampered with directly in the DB."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from core.db import make_engine
from issuer import audit
from issuer.cli import app as issuer_cli
from issuer.models import AuditEvent
from issuer.settings import IssuerSettings
from keys.software import SoftwareSigner

from .conftest import TestClient, issue_id_card


def _rows(settings: IssuerSettings) -> list[AuditEvent]:
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        rows = list(s.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all())
    engine.dispose()
    return rows


def _run_sql(settings: IssuerSettings, sql: str) -> None:
    engine = make_engine(settings.database_url)
    with engine.begin() as c:
        c.execute(text(sql))
    engine.dispose()


@pytest.fixture
def history(client: TestClient, psb: dict[str, str], holder: SoftwareSigner) -> list[str]:
    a = issue_id_card(client, psb, holder)
    b = issue_id_card(client, psb, holder)
    client.post(f"/issuer/v1/credentials/{a['id']}/suspend", headers=psb)
    client.post(f"/issuer/v1/credentials/{a['id']}/revoke", headers=psb)
    return [a["id"], b["id"]]


def test_every_action_is_chained_without_personal_data(
        history: list[str], settings: IssuerSettings) -> None:
    rows = _rows(settings)
    assert [r.action for r in rows] == ["issue", "issue", "suspend", "revoke"]
    assert [r.credential_id for r in rows] == [history[0], history[1], history[0], history[0]]
    assert rows[0].prev_hash == audit.GENESIS
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, len(rows)))
    assert all(r.actor == "demo-psb" and r.agency_code == "psb" for r in rows)
    blob = " ".join(r.detail for r in rows)
    assert "张三" not in blob and "1101051990" not in blob


def test_cli_verify_ok_then_tampered(history: list[str], settings: IssuerSettings,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELICENSE_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    res = runner.invoke(issuer_cli, ["audit", "verify"])
    assert res.exit_code == 0 and "4 rows" in res.output
    _run_sql(settings, "UPDATE issuer_audit_event SET action = 'reinstate' WHERE seq = 3")
    res = runner.invoke(issuer_cli, ["audit", "verify"])
    assert res.exit_code == 1 and "seq 3" in res.output


def test_deleted_row_is_found(history: list[str], settings: IssuerSettings) -> None:
    _run_sql(settings, "DELETE FROM issuer_audit_event WHERE seq = 2")
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        report = audit.verify(s)
    engine.dispose()
    assert not report.ok and report.broken_seq == 3


def test_rehashed_row_breaks_the_link(history: list[str], settings: IssuerSettings) -> None:
    # A forger who recomputes the row's own hash still breaks the next row's prev_hash.
    rows = _rows(settings)
    r = rows[1]
    fields = {"seq": r.seq, "at": r.at, "agency_code": r.agency_code, "actor": "someone",
              "action": r.action, "credential_id": r.credential_id, "detail": r.detail,
              "prev_hash": r.prev_hash}
    _run_sql(settings, f"UPDATE issuer_audit_event SET actor = 'someone', "
                       f"hash = '{audit.row_hash(fields)}' WHERE seq = 2")
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        report = audit.verify(s)
    engine.dispose()
    assert not report.ok and report.broken_seq == 3
