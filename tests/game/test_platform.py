"""The page and source layers: their arrows point down; and platform code lives only in
game/ (read from the source with ast, so a lazy import counts too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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
PLATFORM_PACKAGE = SRC / "game"
#: modules that exist on one platform only
PLATFORM_MODULES = {
    "fcntl", "termios", "tty", "pty", "resource", "posix", "pwd", "grp", "syslog",
    "_posixsubprocess", "msvcrt", "winreg", "winsound", "_winapi", "nt",
}
#: module.name uses (and ``from module import name``) that mean something on one platform
PLATFORM_NAMES = {
    "sys.platform", "sys.getwindowsversion", "os.name", "os.uname",
    "os.fork", "os.forkpty", "os.setsid", "os.setpgrp", "os.getpgid", "os.killpg",
    "os.getuid", "os.geteuid", "os.getgid", "os.pread", "os.pwrite", "os.startfile",
    "os.O_NOFOLLOW", "os.mkfifo", "os.sched_setaffinity",
    "ctypes.windll", "ctypes.WinDLL", "ctypes.oledll", "ctypes.OleDLL", "ctypes.wintypes",
    "ctypes.CDLL", "ctypes.get_last_error", "ctypes.FormatError",
    "signal.SIGKILL", "signal.SIGUSR1", "signal.SIGUSR2", "signal.SIGALRM", "signal.SIGHUP",
    "signal.SIGQUIT", "signal.SIGPIPE", "signal.SIGCHLD", "signal.SIGXFSZ",
    "signal.SIGBREAK", "signal.CTRL_C_EVENT", "signal.CTRL_BREAK_EVENT", "signal.alarm",
    "signal.setitimer", "signal.pthread_kill", "signal.siginterrupt",
    "subprocess.CREATE_NEW_PROCESS_GROUP", "subprocess.STARTUPINFO",
    "platform.win32_ver", "platform.win32_edition", "platform.libc_ver", "platform.mac_ver",
}
#: attribute names that are platform calls whatever they hang on (``libc.prctl(...)``)
PLATFORM_ATTRS = {"prctl", "windll", "WinDLL", "oledll", "kernel32", "winmm"}
#: Popen options that exist on one platform only
PLATFORM_KEYWORDS = {"preexec_fn", "start_new_session", "creationflags", "startupinfo"}
#: literals that name a platform or a platform's path
PLATFORM_STRINGS = {"/dev/shm", "/proc", "/dev/null", "win32", "linux", "darwin", "cygwin",
                    "kernel32", "winmm", "NUL", "Windows", "Linux", "Darwin"}


def imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def platform_uses(tree: ast.AST) -> list[str]:
    """Every use of a platform-specific API in ``tree``, as "what (line n)"."""
    aliases: dict[str, str] = {}  # local name -> module it stands for (import x as y)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0])
                if alias.name.split(".")[0] in PLATFORM_MODULES:
                    found.append(f"imports {alias.name} (line {node.lineno})")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in PLATFORM_MODULES:
                found.append(f"imports {node.module} (line {node.lineno})")
            for alias in node.names:
                if f"{node.module}.{alias.name}" in PLATFORM_NAMES | {"ctypes.wintypes"}:
                    found.append(f"imports {node.module}.{alias.name} (line {node.lineno})")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name):
                qualified = f"{aliases.get(node.value.id, node.value.id)}.{node.attr}"
                if qualified in PLATFORM_NAMES:
                    found.append(f"uses {qualified} (line {node.lineno})")
                    continue
            if node.attr in PLATFORM_ATTRS:
                found.append(f"uses .{node.attr} (line {node.lineno})")
        elif isinstance(node, ast.keyword) and node.arg in PLATFORM_KEYWORDS:
            found.append(f"passes {node.arg}= (line {node.value.lineno})")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                node.value in PLATFORM_STRINGS or node.value.startswith("/dev/shm/")):
            found.append(f"names {node.value!r} (line {node.lineno})")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "hasattr") and len(node.args) >= 2 \
                and isinstance(node.args[0], ast.Name) \
                and isinstance(node.args[1], ast.Constant) \
                and f"{aliases.get(node.args[0].id, node.args[0].id)}.{node.args[1].value}" \
                in PLATFORM_NAMES:
            found.append(f"looks up {node.args[0].id}.{node.args[1].value} "
                         f"(line {node.lineno})")
    return found


def _mode(call: ast.Call, positional: list[ast.expr]) -> object:
    """The mode a call to open passes: its ``mode=`` or first given positional value."""
    given = next((k.value for k in call.keywords if k.arg == "mode"),
                 positional[0] if positional else None)
    return given.value if isinstance(given, ast.Constant) else given


def locale_text(tree: ast.AST) -> list[str]:
    """Text files read or written without an encoding: the locale's, which is UTF-8 on
    Linux and cp1252 on most Windows machines (a "²" written there is read back wrong
    elsewhere, and a glyph cp1252 lacks cannot be written at all)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or any(k.arg == "encoding" for k in node.keywords):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("read_text", "write_text"):
            found.append(f"{func.attr}() without an encoding (line {node.lineno})")
        elif isinstance(func, ast.Name) and func.id == "open":  # open(path, mode)
            mode = _mode(node, node.args[1:])
            if not (isinstance(mode, str) and "b" in mode):
                found.append(f"open() in text mode without an encoding (line {node.lineno})")
        elif isinstance(func, ast.Attribute) and func.attr == "open" and not (
                isinstance(func.value, ast.Name) and func.value.id == "os"):  # Path.open(mode)
            mode = _mode(node, node.args)
            if isinstance(mode, str) and "b" not in mode:  # x.open(y): not known a file
                found.append(f".open({mode!r}) without an encoding (line {node.lineno})")
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


def test_no_module_outside_game_uses_a_platform_specific_api() -> None:
    wrong = [f"{path.relative_to(SRC)} {use}" for path in sorted(SRC.rglob("*.py"))
             if PLATFORM_PACKAGE not in path.parents
             for use in platform_uses(ast.parse(path.read_text(encoding="utf-8"), str(path)))]
    assert not wrong, "platform-specific code belongs in game/:\n" + "\n".join(wrong)


def test_text_files_name_their_encoding() -> None:
    wrong = [f"{path.relative_to(SRC)} {use}" for path in sorted(SRC.rglob("*.py"))
             for use in locale_text(ast.parse(path.read_text(encoding="utf-8"), str(path)))]
    assert not wrong, "give encoding=\"utf-8\":\n" + "\n".join(wrong)


@pytest.mark.parametrize("snippet", [
    "Path('a').read_text()",
    "Path('a').write_text('R²')",
    "open('a')",
    "open('a', 'w')",
    "open('a', mode='a')",
    "Path('a').open('w')",
])
def test_the_encoding_rule_catches_locale_text(snippet: str) -> None:
    assert locale_text(ast.parse(snippet)), snippet


def test_the_encoding_rule_lets_bytes_and_named_encodings_through() -> None:
    fine = """
Path('a').read_text(encoding='utf-8')
Path('a').write_bytes(b'')
open('a', 'rb')
open('a', 'w', encoding='utf-8')
os.open('a', os.O_RDONLY)
Path('a').open('rb')
sink.open(session)
"""
    assert locale_text(ast.parse(fine)) == []


def test_the_platform_modules_in_game_are_seen_by_the_check() -> None:
    """The rule is not vacuous: the modules that do hold platform code are caught by it."""
    for name in ("mapping.py", "named.py", "host.py", "timer.py"):
        path = PLATFORM_PACKAGE / name
        assert platform_uses(ast.parse(path.read_text(encoding="utf-8"))), name


@pytest.mark.parametrize("snippet", [
    "import fcntl",
    "import resource",
    "from msvcrt import getch",
    "import winreg as reg",
    "import ctypes\nctypes.windll.kernel32.Sleep(1)",
    "from ctypes import WinDLL",
    "import ctypes as c\nc.CDLL(None).prctl(1, 15)",
    "import os\nos.fork()",
    "from os import fork",
    "import os\nif os.name == 'nt': pass",
    "import sys\nif sys.platform.startswith('linux'): pass",
    "import sys as s\nprint(s.platform)",
    "import signal, os\nos.kill(1, signal.SIGKILL)",
    "from signal import SIGUSR1",
    "import signal\nsignal.signal(signal.SIGUSR2, print)",
    "import signal\nif hasattr(signal, 'SIGXFSZ'): pass",
    "from pathlib import Path\nPath('/dev/shm')",
    "open('/dev/shm/acpmf_physics')",
    "import subprocess\nsubprocess.Popen(['x'], preexec_fn=print)",
    "import subprocess\nsubprocess.Popen(['x'], start_new_session=True)",
    "import platform\nif platform.system() == 'Windows': pass",
    "import platform\nplatform.win32_ver()",
])
def test_the_rule_catches_each_platform_api(snippet: str) -> None:
    assert platform_uses(ast.parse(snippet)), snippet


def test_the_rule_lets_portable_code_through() -> None:
    portable = """
import os, signal, subprocess, sys, time
from pathlib import Path
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, lambda *_: None)
os.replace(Path("a"), Path("b"))
subprocess.Popen([sys.executable, "-c", "pass"]).terminate()
name = "session-linux-mint.parquet"
import platform
host = f"{platform.system()} {platform.machine()}"
flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
time.sleep(0.001)
"""
    assert platform_uses(ast.parse(portable)) == []
