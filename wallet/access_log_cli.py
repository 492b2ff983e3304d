"""``elicense wallet access-reports``: the operators' list of access-log entries citizens
reported as not recognised (issue 8), read from the wallet database
(``ELICENSE_DATABASE_URL``), one tab-separated line each, newest first."""

from __future__ import annotations

import typer
from sqlmodel import Session

from core.db import make_engine
from wallet import access_log
from wallet.settings import Settings

__all__ = ["access_reports"]


def access_reports(limit: int = typer.Option(500, help="At most this many reports.")) -> None:
    """Reported entries: report id, reported at, citizen, shown at, mode, scenario, to
    whom, note."""
    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as db:
            for r in access_log.reports(db=db, limit=limit):
                typer.echo("\t".join(str(x) for x in (
                    r["report_id"], r["reported_at"], r["username"], r["at"], r["mode"],
                    r["scenario"], r["who"] or "-", r["note"] or "")))
    finally:
        engine.dispose()
