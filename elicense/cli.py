"""The ``elicense`` command. Each package contributes a Typer app in its own ``cli.py``;
this root only assembles them (lazily, so a bare service costs nothing)."""

from __future__ import annotations

import importlib

import typer

__all__ = ["app", "main"]

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="elicense: electronic licenses (issuer, wallet, verifier, keys).")

# (command name, module holding a Typer ``app``)
_SUBCOMMANDS = [
    ("keys", "keys.cli"),
    ("credential", "elicense.credential_cli"),
    ("qr", "elicense.qr_cli"),
    ("issuer", "issuer.cli"),
    ("wallet", "wallet.cli"),
    ("verifier", "verifier.cli"),
    ("trust", "verifier.trust_cli"),
]

for _name, _module in _SUBCOMMANDS:
    try:
        _mod = importlib.import_module(_module)
    except ModuleNotFoundError as exc:
        if exc.name != _module:
            raise
        continue
    sub = getattr(_mod, "app", None)
    if isinstance(sub, typer.Typer):
        app.add_typer(sub, name=_name)


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
    uvicorn.run("elicense.app:create_combined_app", factory=True, host=host, port=port,
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
