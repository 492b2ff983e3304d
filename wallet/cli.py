"""``elicense wallet ...``: operator commands of the wallet service.

- ``add-citizen USERNAME`` — register a citizen (password prompted, argon2id-hashed);
- ``hash-client-secret`` — the ``sha256:<hex>`` form of a verifier client secret, for
  ``ELICENSE_VERIFIER_CLIENTS`` so no plaintext secret sits in a production environment.
Errors print their stable code and exit 1.
"""

from __future__ import annotations

import hashlib

import typer
from sqlmodel import Session

from core.clock import SystemClock
from core.db import make_engine
from core.errors import ELicenseError
from wallet import accounts
from wallet.access_log_cli import access_reports
from wallet.settings import Settings

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Wallet service: citizens and verifier clients.")


app.command("access-reports")(access_reports)  # issue 8: reported access-log entries


@app.command("add-citizen")
def add_citizen(
    username: str = typer.Argument(..., help="Login name of the citizen."),
    password: str = typer.Option(..., prompt=True, hide_input=True,
                                 confirmation_prompt=True, help="The citizen's password."),
) -> None:
    """Register a citizen in the configured database (ELICENSE_DATABASE_URL)."""
    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as db:
            user = accounts.register(db=db, username=username, password=password,
                                     now=SystemClock().now(),
                                     min_password_length=settings.min_password_length)
            db.commit()
            typer.echo(f"citizen {user.username} (id {user.id}) registered")
    except ELicenseError as exc:
        typer.echo(f"error: {exc.code}: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


@app.command("hash-client-secret")
def hash_client_secret(
    secret: str = typer.Option(..., prompt=True, hide_input=True,
                               help="The verifier client's secret."),
) -> None:
    """Print ``sha256:<hex>`` of a verifier client secret."""
    typer.echo("sha256:" + hashlib.sha256(secret.encode()).hexdigest())
