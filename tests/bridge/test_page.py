"""The live page in a real headless Chromium: it loads offline and shows values that change."""

from __future__ import annotations

import json
import time

from browser import open_page


def wait_for(page, expression: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(expression)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {expression}")


def test_page_shows_live_values_that_change(make_server, feed) -> None:
    server = make_server(rate=30)
    feeder = feed(server, rate=30, count=30 * 60)  # a minute of frames; stopped with the server
    with open_page(server.url) as page:
        assert page.evaluate("typeof Plotly") == "object"  # served from the plotly package
        wait_for(page, "window.actelemetry.frames > 5")
        speed = "document.getElementById('speed').textContent"
        first = page.evaluate(speed)
        # the value changes (waited for with a deadline: a busy machine may be slow to draw)
        second = wait_for(page, f"{speed} !== {json.dumps(first)} && {speed}")
        assert float(first) >= 0 and float(second) >= 0
        wait_for(page, "document.getElementById('gear').textContent !== '–'")
        wait_for(page, "document.getElementById('gas-bar').style.width.endsWith('%')")
        assert "TEST_CAR" in page.evaluate(
            "document.getElementById('session').textContent.toUpperCase()")
        wait_for(page, "document.getElementById('gg').data[2].x.length === 1")
        wait_for(page, "document.getElementById('map').data[1].x.length > 1")
        assert page.evaluate("window.actelemetry.connected") is True
        assert page.console_errors == []
    assert feeder.thread.is_alive() or feeder.done.is_set()
