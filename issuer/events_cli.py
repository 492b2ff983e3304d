"""``elicense issuer events``: operator commands for license-event webhooks (issue 8), run
against the issuer database (``ELICENSE_DATABASE_URL``): list deliveries (``--state dead``
is the dead-letter list), queue them again, send what is due once."""

from __future__ import annotations

import httpx
import typer
from sqlmodel import Session, col, select

from core.clock import SystemClock
from core.db import make_engine
from core.errors import ELicenseError
from issuer import events_delivery
from issuer.events_models import Delivery
from issuer.settings import IssuerSettings

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="License-event webhooks: deliveries, dead letters, redelivery.")


@app.command("list")
def list_(state: str = typer.Option(None, help="pending, delivered or dead"),
          limit: int = typer.Option(100)) -> None:
    """Deliveries, newest first: id, event id, subscription, state, attempts, last error."""
    settings = IssuerSettings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as s:
            stmt = select(Delivery)
            if state:
                stmt = stmt.where(Delivery.state == state)
            for d in s.exec(stmt.order_by(col(Delivery.id).desc()).limit(limit)).all():
                typer.echo(f"{d.id}\t{d.event_id}\t{d.subscription_id}\t{d.state}\t"
                           f"{d.attempts}\t{d.last_error or ''}")
    finally:
        engine.dispose()


@app.command("redeliver")
def redeliver(ident: str = typer.Argument(None, help="An event id or a delivery id."),
              dead: bool = typer.Option(False, "--dead", help="Every dead delivery.")) -> None:
    """Queue deliveries again (attempts reset; the worker sends them on its next round)."""
    if (ident is None) == (not dead):
        typer.echo("error: give an ID or --dead", err=True)
        raise typer.Exit(2)
    settings = IssuerSettings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as s:
            n = events_delivery.redeliver(session=s, now=SystemClock().now(), ident=ident,
                                          dead=dead)
        typer.echo(f"{n} deliveries queued")
    except ELicenseError as exc:
        typer.echo(f"error: {exc.code}: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


@app.command("deliver")
def deliver() -> None:
    """Send every due delivery once (what the app's background loop does)."""
    settings = IssuerSettings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as s, httpx.Client(timeout=settings.events_timeout_s) as http:
            run = events_delivery.deliver_due(session=s, http=http, clock=SystemClock(),
                                              settings=settings)
        typer.echo(f"delivered {run.delivered}, failed {run.failed}, dead {run.dead}")
    finally:
        engine.dispose()
