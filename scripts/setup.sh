#!/usr/bin/env bash
# Linux: find a Python 3.11+ and run scripts/setup.py with it (the one set-up for Linux and
# Windows; see there for what it installs and the environment it reads: PYTHON,
# WITH_TORCH, TORCH_WHEEL, WITH_RL, WITH_BROWSER). Idempotent: a second run takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3 python3.13 python3.12 python3.11; do
    if command -v "$cand" >/dev/null 2>&1 && python_ok "$cand"; then PY=$cand; break; fi
  done
fi
[ -n "$PY" ] && python_ok "$PY" || { echo "setup: Python 3.11 or newer is required (set PYTHON=...)" >&2; exit 1; }
exec "$PY" scripts/setup.py
