"""The service layer's public surface: every name in ``issuer.service.__all__`` exists, and
the service modules never import FastAPI (STYLE habit 6)."""

from __future__ import annotations

import ast
from pathlib import Path

import issuer.service

PKG = Path(issuer.service.__file__).parent
WEB_MODULES = {"api.py", "api_meta.py", "api_oauth.py", "pages.py", "deps.py", "app.py",
               "events_api.py"}


def test_all_names_exist() -> None:
    assert all(hasattr(issuer.service, n) for n in issuer.service.__all__)


def test_service_modules_do_not_import_fastapi() -> None:
    for path in PKG.glob("*.py"):
        if path.name in WEB_MODULES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] in ("fastapi", "starlette") for n in names), path
            assert not any(n.startswith(("issuer.deps", "issuer.api", "issuer.pages"))
                           for n in names), path
