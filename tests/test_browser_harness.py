"""The browser harness itself: it must see page errors, or page tests could never fail."""

from __future__ import annotations

from pathlib import Path

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
