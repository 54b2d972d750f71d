"""The package seam: no package but web/ (and the app factory) reaches into the web layer:
render/, land/, analysis/, query/, geo/, store/, auth/, build/ and the top-level modules
(formats, exports, catalog, versions, ...).

Each module is parsed with ``ast`` (nothing is imported), so an import inside a function
counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from geo_service.config import REPO_ROOT

PACKAGE = REPO_ROOT / "geo_service"
APART = ("render", "land", "analysis", "query", "geo", "store", "auth", "build")
#: Top-level modules that may import the web layer: the app factory and the CLI.
ENTRY_POINTS = ("__init__.py", "__main__.py")
MODULES = sorted(
    [path for part in APART for path in (PACKAGE / part).rglob("*.py")]
    + [path for path in PACKAGE.glob("*.py") if path.name not in ENTRY_POINTS]
)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def absolute(node: ast.ImportFrom, path: Path) -> str:
    """The module an ``ImportFrom`` names, relative imports resolved against ``path``."""
    if not node.level:
        return node.module or ""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def forbidden(path: Path) -> list[str]:
    """Every import of geo_service.web (any form) and of flask's ``url_for``, with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "geo_service.web" or alias.name.startswith("geo_service.web."):
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = absolute(node, path)
            names = {alias.name for alias in node.names}
            if module == "geo_service.web" or module.startswith("geo_service.web."):
                found.append(f"{node.lineno}: from {module} import ...")
            elif module == "geo_service" and "web" in names:
                found.append(f"{node.lineno}: from geo_service import web")
            elif module.split(".")[0] == "flask" and "url_for" in names:
                found.append(f"{node.lineno}: from {module} import url_for")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "url_for"
            and isinstance(node.value, ast.Name)
            and node.value.id == "flask"
        ):
            found.append(f"{node.lineno}: flask.url_for")
    return found


def test_every_part_has_modules():
    for part in APART:
        assert any(path.parent.name == part for path in MODULES), part


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_web_imports(path):
    assert forbidden(path) == [], f"{path.relative_to(REPO_ROOT)} reaches into the web layer"


def test_the_check_catches_each_form(tmp_path):
    sample = tmp_path / "geo_service" / "render" / "sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "import geo_service.web.pages\n"
        "from geo_service import web\n"
        "def f():\n"
        "    from geo_service.web.ogc import catalog\n"
        "    from flask import url_for\n"
        "    import flask\n"
        "    return flask.url_for('static')\n",
        encoding="utf-8",
    )
    assert len(forbidden(sample)) == 5
