"""A real headless Chromium for tests, driven over the Chrome DevTools Protocol.

``open_page(url)`` starts Chromium, loads the page and collects console errors and
uncaught exceptions; ``page.evaluate(js)`` returns a JavaScript value. Only the
``websockets`` client the project already depends on is needed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome", "msedge")
#: an explicit browser, first: CI's setup-chrome action gives its path in CHROME_PATH
CHROMIUM_ENV = ("ACTELEMETRY_CHROMIUM", "CHROME_PATH")
#: where Windows installs Chrome and Edge (not on the PATH there)
WINDOWS_PLACES = (
    ("PROGRAMFILES", "Google/Chrome/Application/chrome.exe"),
    ("PROGRAMFILES(X86)", "Google/Chrome/Application/chrome.exe"),
    ("LOCALAPPDATA", "Google/Chrome/Application/chrome.exe"),
    ("PROGRAMFILES(X86)", "Microsoft/Edge/Application/msedge.exe"),
    ("PROGRAMFILES", "Microsoft/Edge/Application/msedge.exe"),
)
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--remote-debugging-port=0", "--remote-allow-origins=*",
]


def chromium_path() -> str | None:
    """A Chromium-family browser: named by an environment variable, on the PATH, or where
    Windows installs Chrome or Edge."""
    for var in CHROMIUM_ENV:
        given = os.environ.get(var)
        if given and Path(given).is_file():
            return given
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    for var, rel in WINDOWS_PLACES:
        base = os.environ.get(var)
        if base and (Path(base) / rel).is_file():
            return str(Path(base) / rel)
    return None


def require_chromium() -> str:
    """The browser, or a skip locally / a failure in CI (where .ci/run installs it)."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed (CI installs it: the Debian package on "
                        "Linux, setup-chrome on Windows; or set CHROME_PATH)")
        pytest.skip("Chromium is not installed here")
    return path


class Page:
    """One tab of a headless Chromium."""

    def __init__(self, url: str, timeout: float = 20.0) -> None:
        self.console_errors: list[str] = []
        self.console_messages: list[str] = []
        self._profile = tempfile.mkdtemp(prefix="actelemetry-chromium-")
        self._proc = subprocess.Popen(
            [require_chromium(), *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self._proc.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not start")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as resp:
            targets = json.load(resp)
        ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        self._stack = ExitStack()
        self._ws = self._stack.enter_context(connect(ws_url, max_size=None,
                                                     open_timeout=timeout))
        self._ids = 0
        self._lock = threading.Lock()
        self._call("Runtime.enable")
        self._call("Log.enable")
        self._call("Page.enable")
        self._call("Page.navigate", url=url)
        self._wait_for_load(timeout)

    def _record(self, msg: dict[str, Any]) -> None:
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            text = d.get("exception", {}).get("description") or d.get("text", "")
            self.console_errors.append(text)
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", "")))
                            for a in params.get("args", []))
            self.console_messages.append(text)
            if params.get("type") in ("error", "assert"):
                self.console_errors.append(text)
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.console_errors.append(params["entry"].get("text", ""))

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        with self._lock:
            self._ids += 1
            ident = self._ids
            self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
            while True:
                msg = json.loads(self._ws.recv(timeout=30))
                if msg.get("id") == ident:
                    if "error" in msg:
                        raise RuntimeError(f"{method}: {msg['error']}")
                    return msg.get("result", {})
                self._record(msg)

    def _wait_for_load(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate("document.readyState") == "complete":
                return
            time.sleep(0.05)
        raise TimeoutError("page did not finish loading")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self._call("Runtime.evaluate", expression=expression, returnByValue=True,
                            awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("text", "evaluation failed"))
        return result.get("result", {}).get("value")

    def pump(self, seconds: float) -> None:
        """Let the page run for a while, collecting console events."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.evaluate("0")
            time.sleep(0.05)

    def close(self) -> None:
        stack = getattr(self, "_stack", None)
        if stack is not None:
            stack.close()
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_page(url: str, timeout: float = 20.0) -> Page:
    """Load ``url`` (http:// or file://) in headless Chromium."""
    return Page(url, timeout)


__all__ = ["Page", "chromium_path", "open_page", "require_chromium"]
