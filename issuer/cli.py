"""``elicense issuer``: operator commands run against the issuer database directly
(``ELICENSE_DATABASE_URL``): bulk import of an NDJSON file for an agency, audit-chain
verification, API client creation."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import SystemClock
from core.db import make_engine
from core.errors import ELicenseError
from issuer import agencies, audit, bulk, events_cli
from issuer.catalog import AGENCIES
from issuer.oauth import Principal, agency_scopes
from issuer.settings import IssuerSettings

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Issuer operations: bulk import, audit log, API clients.")
audit_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="The hash-chained audit log.")
client_app = typer.Typer(no_args_is_help=True, add_completion=False,
                         help="Agency API clients (OAuth2 client credentials).")
app.add_typer(audit_app, name="audit")
app.add_typer(client_app, name="client")
app.add_typer(events_cli.app, name="events")


@contextmanager
def _engine() -> Iterator[tuple[Engine, IssuerSettings]]:
    settings = IssuerSettings()
    engine = make_engine(settings.database_url)
    try:
        yield engine, settings
    except ELicenseError as exc:
        typer.echo(f"error: {exc.code}: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


def _count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="NDJSON, one {ref, type, claims, holder: {jwk}} a line."),
    agency: str = typer.Option(..., help="Agency code (psb, amr, hc, plr)."),
    out: Path | None = typer.Option(None, help="Write result lines (NDJSON) here; "
                                               "default: standard output."),
    chunk: int = typer.Option(bulk.CHUNK, min=1, help="Lines per transaction."),
) -> None:
    """Issue every line of FILE for AGENCY. Safe to re-run after an interruption: refs
    already issued are skipped (``already_issued``) and the rest is completed."""
    if agency not in AGENCIES:
        typer.echo(f"error: unknown agency {agency!r}", err=True)
        raise typer.Exit(2)
    total = _count_lines(file)
    counts = {"issued": 0, "already_issued": 0, "failed": 0}
    with _engine() as (engine, settings):
        with Session(engine) as session:
            agencies.ensure_agencies(session=session, now=SystemClock().now())
            session.commit()
        principal = Principal(agency=agency, client_id="cli:import",
                              scopes=agency_scopes(agency))
        sink: TextIO = out.open("w", encoding="utf-8") if out else sys.stdout
        # the bar goes to stderr (results may be on stdout), only on a terminal
        progress = Progress(TextColumn("issuing"), BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), console=Console(stderr=True),
                            transient=True, disable=not sys.stderr.isatty())
        try:
            with progress, file.open(encoding="utf-8") as lines:
                task = progress.add_task("import", total=total)
                for raw in bulk.issue_ndjson(engine=engine, settings=settings,
                                             principal=principal, lines=lines,
                                             clock=SystemClock(), chunk=chunk):
                    result = orjson.loads(raw)
                    if "error" in result:
                        counts["failed"] += 1
                    elif result.get("already_issued"):
                        counts["already_issued"] += 1
                    else:
                        counts["issued"] += 1
                    sink.write(raw.decode())
                    progress.advance(task)
        finally:
            if out:
                sink.close()
    typer.echo(" ".join(f"{k}={v}" for k, v in counts.items()), err=True)
    if counts["failed"]:
        raise typer.Exit(1)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit hash chain; exit 1 naming the first broken row."""
    with _engine() as (engine, _settings), Session(engine) as session:
        report = audit.verify(session)
    if report.ok:
        typer.echo(f"audit chain ok: {report.rows} rows")
        return
    typer.echo(f"audit chain BROKEN at seq {report.broken_seq}: {report.reason}", err=True)
    raise typer.Exit(1)


@client_app.command("create")
def client_create(
    agency: str = typer.Option(..., help="Agency code (psb, amr, hc, plr)."),
    client_id: str = typer.Option(..., help="The new client's id."),
) -> None:
    """Create an API client for AGENCY and print its secret (shown once, stored hashed)."""
    if agency not in AGENCIES:
        typer.echo(f"error: unknown agency {agency!r}", err=True)
        raise typer.Exit(2)
    secret = secrets.token_urlsafe(32)
    now = SystemClock().now()
    with _engine() as (engine, settings), Session(engine) as session:
        agencies.ensure_agencies(session=session, now=now)
        if not agencies.ensure_client(session=session, settings=settings, client_id=client_id,
                                      agency=agency, secret=secret, now=now):
            typer.echo(f"error: client {client_id!r} exists", err=True)
            raise typer.Exit(1)
        session.commit()
    typer.echo(f"client_id={client_id}\nclient_secret={secret}")
