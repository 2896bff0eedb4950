"""The page and source layers: their arrows point down, and platform code lives only in
game/mapping.py (read from the source with ast, so a lazy import counts too)."""

from __future__ import annotations

import ast
from pathlib import Path

import actelemetry

SRC = Path(actelemetry.__file__).parent
ABOVE_ALL = ("app", "cli", "ml", "bridge", "analysis", "plots", "gym")
#: package -> packages it must never import
FORBIDDEN = {
    "game": ("channels", "store", "sources", "capture", "sim", *ABOVE_ALL),
    "sim": ("channels", "store", "sources", "capture", *ABOVE_ALL),
    "sources": ("capture", *ABOVE_ALL),
    "capture": ABOVE_ALL,
}
PLATFORM_MODULE = SRC / "game" / "mapping.py"
#: names and modules that only mean something on one platform
PLATFORM_ATTRS = {"platform", "prctl", "CDLL", "WinDLL", "windll"}
PLATFORM_MODULES = {"fcntl", "msvcrt", "winreg", "_winapi", "resource"}
PLATFORM_STRINGS = {"/dev/shm", "win32", "linux"}


def imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def platform_uses(tree: ast.AST) -> list[str]:
    found = [f"imports {name}" for name in imported(tree)
             if name.split(".")[0] in PLATFORM_MODULES]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in PLATFORM_ATTRS:
            found.append(f"uses .{node.attr} (line {node.lineno})")
        elif isinstance(node, ast.Constant) and node.value in PLATFORM_STRINGS:
            found.append(f"names {node.value!r} (line {node.lineno})")
    return found


def test_page_and_source_layers_import_nothing_above_them() -> None:
    wrong = []
    for package, above in FORBIDDEN.items():
        for path in sorted((SRC / package).rglob("*.py")):
            for name in imported(ast.parse(path.read_text(), str(path))):
                parts = name.split(".")
                if parts[0] == "actelemetry" and len(parts) > 1 and parts[1] in above:
                    wrong.append(f"{path.relative_to(SRC)} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_platform_code_lives_only_in_the_mapping_module() -> None:
    wrong = [f"{path.relative_to(SRC)} {use}" for path in sorted(SRC.rglob("*.py"))
             if path != PLATFORM_MODULE
             for use in platform_uses(ast.parse(path.read_text(), str(path)))]
    assert not wrong, "\n".join(wrong)
    assert platform_uses(ast.parse(PLATFORM_MODULE.read_text()))  # the check sees them
