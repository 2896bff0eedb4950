#!/usr/bin/env bash
# Set up everything the project needs on a fresh Linux machine, idempotently:
# a virtualenv with the package and its dev tools, PyTorch's CPU build where this
# machine holds it, and Chromium for the browser tests (CI, or when asked).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY=$cand; break
    fi
  done
fi
[ -n "$PY" ] || { echo "setup: Python 3.11+ is required" >&2; exit 1; }

stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# PyTorch is optional: install the CPU build only when this machine holds its wheel,
# so that no multi-GB CUDA build is ever downloaded.
if ! .venv/bin/python -c 'import torch' >/dev/null 2>&1; then
  wheel=$(ls /opt/wheels/torch-2.13.0+cpu-cp3*-*.whl 2>/dev/null | head -n 1 || true)
  if [ -n "$wheel" ]; then
    .venv/bin/python -m pip install -q "$wheel" || echo "setup: torch CPU wheel did not install; sequence models stay off"
  fi
fi

# Chromium for the browser tests (Debian package); only where we may install packages.
if [ "${WITH_BROWSER:-0}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
      || echo "setup: could not install chromium; browser tests will fail in CI" >&2
  else
    echo "setup: install Chromium (e.g. 'sudo apt-get install chromium') for the browser tests" >&2
  fi
fi
