"""The layers of DESIGN §2 hold without tricks: no project module is imported inside a function (the
usual way to dodge an import cycle), except in `AppConfig.ready`, where Django wants it. The layers
themselves are import-linter's contracts in pyproject.toml, run by `make test` (`lint-imports`)."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
APPS = [
    "aftersales",
    "accounts",
    "audit",
    "customers",
    "warranty",
    "notifications",
    "tickets",
    "parts",
    "claims",
    "surveys",
    "portal",
    "reports",
]


def deferred_project_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of a project package inside a function, `ready` excepted."""
    found = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name)
                continue
            if function and function != "ready":
                modules = []
                if isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                    modules = [child.module]
                elif isinstance(child, ast.Import):
                    modules = [alias.name for alias in child.names]
                found.extend((child.lineno, m) for m in modules if m.split(".")[0] in [*APPS, "loadtest"])
            visit(child, function)

    visit(ast.parse(source), None)
    return found


def app_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_app_imports_a_project_module_inside_a_function():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in app_modules()
        for line, module in deferred_project_imports(path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f():\n    from tickets.models import RepairTicket\n", [(2, "tickets.models")]),
        ("def f():\n    import parts.services\n", [(2, "parts.services")]),
        ("class C:\n    def ready(self):\n        from parts import receivers\n", []),
        ("def f():\n    import qrcode\n", []),
        ("from tickets import models\n", []),
    ],
)
def test_the_check_sees_imports_inside_functions(source, expected):
    assert deferred_project_imports(source) == expected


def test_the_import_contracts_hold():
    """The same check `make test` runs first, so that a plain `pytest` run reports a broken layer too."""
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_every_module_of_the_project_package_has_its_layer():
    """aftersales/ is both the wiring on top and the kernel at the bottom: a new module must say which."""

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    layers = config["tool"]["importlinter"]["contracts"][0]["layers"]
    placed = {name.strip() for layer in layers for name in layer.split(":")}
    modules = {
        f"aftersales.{path.stem}" if path.is_file() else f"aftersales.{path.name}"
        for path in (ROOT / "aftersales").iterdir()
        if (path.suffix == ".py" and path.stem not in {"__init__", "apps", "wsgi"})
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert modules - placed == set()
