"""Arrows point down: the lower layers never import capture, the app or the CLI, and only
the CLI imports the app (read from the source with ast, so a lazy import counts too)."""

from __future__ import annotations

import ast
from pathlib import Path

import actelemetry

SRC = Path(actelemetry.__file__).parent
#: package -> packages it must never import
FORBIDDEN = {
    "channels": ("capture", "sources", "app", "cli", "ml", "bridge", "analysis", "store",
                 "archive"),
    "store": ("capture", "sources", "app", "cli", "ml", "bridge", "analysis", "archive"),
    "analysis": ("archive",),
    "archive": ("capture", "sources", "app", "cli", "ml", "bridge"),
    "ml": ("capture", "sources", "app", "cli", "bridge"),
    "bridge": ("app", "cli", "ml", "analysis", "archive"),
    "app": ("cli",),
}


def imported(path: Path) -> set[str]:
    """Every actelemetry module a file imports, at any depth of the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return {n for n in names if n.startswith("actelemetry.")}


def test_lower_layers_import_nothing_above_them() -> None:
    wrong = []
    for package, above in FORBIDDEN.items():
        for path in sorted((SRC / package).rglob("*.py")):
            for name in imported(path):
                if name.split(".")[1] in above:
                    wrong.append(f"{path.relative_to(SRC)} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_only_the_cli_imports_the_app() -> None:
    users = [str(p.relative_to(SRC)) for p in sorted(SRC.rglob("*.py"))
             if p.parts[len(SRC.parts)] not in ("app", "cli")
             and any(n.startswith("actelemetry.app") for n in imported(p))]
    assert not users, users
