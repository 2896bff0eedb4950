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


def static_file(url_path: str) -> tuple[bytes, str] | None:
    """(body, content type) for a URL path, or None when there is no such file.

    The table is fixed: an unknown path costs nothing to remember, whoever asks for it.
    """
    return _files().get(url_path)


@cache
def _files() -> dict[str, tuple[bytes, str]]:
    """Every file the server serves, read once."""
    folder = resources.files("actelemetry.bridge").joinpath("static")
    files = {url: (folder.joinpath(name).read_bytes(), TYPES[Path(name).suffix])
             for url, name in PAGES.items()}
    plotly_js = plotly_js_path()
    if plotly_js.is_file():
        files["/plotly.min.js"] = (plotly_js.read_bytes(), TYPES[".js"])
    return files
