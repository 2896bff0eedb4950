"""The live web page's files: our page, and Plotly.js from the installed plotly package.

Served by the bridge itself on the same port, so the page works offline and needs no
second server. Files are read once and kept in memory (Plotly.js is 4 MB).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8"}
PAGES = {"/": "index.html", "/index.html": "index.html", "/live.js": "live.js",
         "/live.css": "live.css"}


def plotly_js_path() -> Path:
    """The plotly.min.js that ships inside the plotly Python package."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@cache
def static_file(url_path: str) -> tuple[bytes, str] | None:
    """(body, content type) for a URL path, or None when there is no such file."""
    if url_path == "/plotly.min.js":
        path = plotly_js_path()
        return (path.read_bytes(), TYPES[".js"]) if path.is_file() else None
    name = PAGES.get(url_path)
    if name is None:
        return None
    body = resources.files("actelemetry.bridge").joinpath("static", name).read_bytes()
    return body, TYPES[Path(name).suffix]
