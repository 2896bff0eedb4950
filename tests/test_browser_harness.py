"""The browser harness itself: it must see page errors, or page tests could never fail."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from browser import open_page, require_chromium


def test_harness_reports_console_errors_and_runs_scripts(tmp_path: Path) -> None:
    require_chromium()
    page_file = tmp_path / "page.html"
    page_file.write_text(
        "<html><body><div id=x>1</div><script>"
        "console.error('boom'); setTimeout(() => { x.textContent = '2'; }, 100);"
        "</script></body></html>")
    with open_page(page_file.as_uri()) as page:
        page.pump(0.4)
        assert page.evaluate("document.getElementById('x').textContent") == "2"
        assert any("boom" in e for e in page.console_errors)


def test_a_browser_named_by_chrome_path_comes_first(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """CI's setup-chrome action (Windows, where Chrome is not on the PATH) names its
    browser in CHROME_PATH; a name that is no file is passed over."""
    from browser import chromium_path

    given = tmp_path / ("chrome.exe" if sys.platform == "win32" else "chrome")
    given.write_bytes(b"")
    monkeypatch.setenv("CHROME_PATH", str(given))
    assert chromium_path() == str(given)
    monkeypatch.setenv("CHROME_PATH", str(tmp_path / "missing"))
    assert chromium_path() != str(tmp_path / "missing")
