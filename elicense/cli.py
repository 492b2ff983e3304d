"""The ``elicense`` command. Each package contributes a Typer app in its own ``cli.py``;
this root only assembles them."""

from __future__ import annotations

from enum import StrEnum

import typer

import issuer.cli
import keys.cli
import verifier.cli
import verifier.trust_cli
import wallet.cli
from elicense import credential_cli, qr_cli

__all__ = ["app", "main"]

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="elicense: electronic licenses (issuer, wallet, verifier, keys).")

for _name, _sub in (("keys", keys.cli.app), ("credential", credential_cli.app),
                    ("qr", qr_cli.app), ("issuer", issuer.cli.app), ("wallet", wallet.cli.app),
                    ("verifier", verifier.cli.app), ("trust", verifier.trust_cli.app)):
    app.add_typer(_sub, name=_name)


@app.command()
def run(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="uvicorn worker processes."),
) -> None:
    """Migrate, create dev keys and demo data (dev mode), and serve all three services."""
    import uvicorn

    from elicense.app import prepare
    from elicense.ops import LOG_CONFIG

    prepare()
    uvicorn.run("elicense.serve:combined_app", factory=True, host=host, port=port,
                workers=workers, log_level="info", log_config=LOG_CONFIG)


class Service(StrEnum):
    issuer = "issuer"
    wallet = "wallet"
    verifier = "verifier"


@app.command()
def serve(
    service: Service = typer.Argument(..., help="The service to serve alone."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="uvicorn worker processes."),
) -> None:
    """Serve one service alone from its settings (ELICENSE_*; docs/operations.md §6). Run
    `elicense migrate` first; nothing is created here, not even in dev mode."""
    import uvicorn

    from elicense.ops import LOG_CONFIG

    uvicorn.run(f"elicense.serve:{service.value}_app", factory=True, host=host, port=port,
                workers=workers, log_level="info", log_config=LOG_CONFIG)


@app.command()
def migrate() -> None:
    """Upgrade the configured database (ELICENSE_DATABASE_URL) to the latest schema."""
    from core.db import migrate as _migrate
    from core.settings import BaseServiceSettings

    _migrate(BaseServiceSettings().database_url)
    typer.echo("database at head")


def main() -> None:
    app()
