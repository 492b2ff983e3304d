"""``elicense keys``: operate the signing-key store (generate, list, rotate, JWKS, revoke).

Uses the database and key-encryption secret of ``core.settings.BaseServiceSettings``
(``ELICENSE_DATABASE_URL``, ``ELICENSE_KEY_ENCRYPTION_SECRET``; with ``--hsm`` the PKCS#11
token of ``ELICENSE_HSM_MODULE`` / ``_TOKEN_LABEL`` / ``_PIN``). Output never contains
private material: ``list`` shows kid, alg, state and dates; ``jwks`` the public key set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import typer
from sqlmodel import Session

from core.clock import SystemClock
from core.db import make_engine
from core.errors import ELicenseError
from core.settings import BaseServiceSettings
from keys import service
from keys.models import KeyBackend, KeyState

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Signing keys: generate, list, rotate, publish (JWKS), revoke.")


@contextmanager
def _session() -> Iterator[tuple[Session, BaseServiceSettings]]:
    settings = BaseServiceSettings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session, settings
    except ELicenseError as exc:
        typer.echo(f"error: {exc.code}: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


def _date(ts: int | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@app.command()
def generate(
    owner: str = typer.Option(..., help="issuer, trust_anchor, verifier, wallet:<user>..."),
    alg: str = typer.Option("ES256", help="ES256 or EdDSA."),
    activate: bool = typer.Option(False, "--activate",
                                  help="Make it active now (retiring the current key)."),
    hsm: bool = typer.Option(False, "--hsm", help="Generate inside the PKCS#11 token "
                             "(ELICENSE_HSM_*) instead of the encrypted store."),
) -> None:
    """Generate a key (pending: published in the JWKS but not signing yet)."""
    backend = KeyBackend.PKCS11 if hsm else KeyBackend.SOFTWARE
    with _session() as (session, settings):
        row = service.generate(session=session, owner=owner, alg=alg, settings=settings,
                               clock=SystemClock(), backend=backend.value)
        if activate:
            row = service.activate(session=session, kid=row.kid, clock=SystemClock())
        typer.echo(f"{row.kid} {row.alg} {row.state}")


@app.command("list")
def list_(owner: str | None = typer.Option(None, help="Only this owner's keys."),
          as_json: bool = typer.Option(False, "--json", help="JSON lines output.")) -> None:
    """List keys: owner, kid, alg, state and dates (never private material)."""
    with _session() as (session, _):
        for row in service.list_keys(session=session, owner=owner):
            public = row.to_public()
            if as_json:
                typer.echo(public.model_dump_json(exclude={"public_jwk"}))
                continue
            typer.echo(f"{row.owner}\t{row.kid}\t{row.alg}\t{row.state}\t"
                       f"created={_date(row.created_at)}\tactivated={_date(row.activated_at)}\t"
                       f"retired={_date(row.retired_at)}\tnot_after={_date(row.not_after)}\t"
                       f"backend={row.backend}")


@app.command()
def rotate(
    owner: str = typer.Option(..., help="Whose active key to replace."),
    alg: str | None = typer.Option(None, help="Algorithm of the new key (default: current)."),
    retain_days: int | None = typer.Option(
        None, help="Keep the retired key in the JWKS this many days (the longest validity "
                   "of credentials it signed); default: until revoked."),
    hsm: bool | None = typer.Option(None, "--hsm/--software",
                                    help="Backend of the key to activate (default: the "
                                         "current key's; any pending key may be promoted)."),
) -> None:
    """Promote the oldest pending key (or a new one) and retire the active key."""
    with _session() as (session, settings):
        row = service.rotate(session=session, owner=owner, alg=alg, settings=settings,
                             clock=SystemClock(),
                             retain_s=None if retain_days is None else retain_days * 86400,
                             backend=None if hsm is None else
                             (KeyBackend.PKCS11 if hsm else KeyBackend.SOFTWARE).value)
        typer.echo(f"{row.kid} {row.alg} {row.state}")


@app.command()
def jwks(owner: str = typer.Option(..., help="Whose public keys to print.")) -> None:
    """Print the owner's JWKS (active, pending and still-needed retired keys)."""
    with _session() as (session, _):
        typer.echo(json.dumps(service.jwks(session=session, owner=owner,
                                           now=SystemClock().now()), indent=2))


@app.command()
def revoke(kid: str = typer.Argument(..., help="kid (RFC 7638 thumbprint) to revoke.")) -> None:
    """Revoke a key: removed from the JWKS and never used to sign again.

    A kid is base64url and may start with '-': put '--' before it
    (``elicense keys revoke -- KID``), or the shell word is read as an option."""
    with _session() as (session, _):
        row = service.revoke(session=session, kid=kid, clock=SystemClock())
        typer.echo(f"{row.kid} {KeyState(row.state).value}")
