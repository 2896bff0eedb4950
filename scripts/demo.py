"""The demo on every platform (``py scripts/demo.py`` on Windows; Linux: ``make demo``):
set up, then ``actelemetry demo`` from the venv."""

from __future__ import annotations

import subprocess
import sys

import setup  # scripts/setup.py: this script's folder is first on sys.path

if __name__ == "__main__":
    setup.main()
    sys.exit(subprocess.run([str(setup.venv_tool("actelemetry")), "demo", *sys.argv[1:]],
                            cwd=setup.ROOT).returncode)
