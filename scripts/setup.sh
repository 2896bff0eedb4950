#!/usr/bin/env bash
# Set up everything the project needs on a fresh Linux machine, idempotently and out loud:
#   1. a virtual environment .venv/ with the package and its dev tools (pytest, ruff, mypy);
#   2. PyTorch, optional, for the sequence models (see WITH_TORCH below);
#   3. Chromium for the browser tests of the live page (WITH_BROWSER=1; `make test` asks).
# A second run finds everything in place and takes about a second.
#
# Environment:
#   PYTHON=python3.12   the interpreter for the venv (default: the first python3.11+ found)
#   WITH_TORCH=auto     (default) install PyTorch only from a wheel already on this machine:
#                       a torch-*.whl in a folder named by pip's own PIP_FIND_LINKS; nothing is
#                       downloaded. 1: install the `torch` extra through pip, from whatever index
#                       pip is configured with (for the CPU build, e.g.
#                       PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu). 0: never.
#   TORCH_WHEEL=FILE    install PyTorch from this wheel file.
#   WITH_BROWSER=1      install Chromium (Debian package) when it is missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*"; }

# Run a long step, printing a line every 10 s so that it never sits silent.
step() {
  local label=$1 t0 hb rc
  shift
  t0=$(date +%s)
  say "$label ..."
  ( while sleep 10; do say "  ... still $label ($(( $(date +%s) - t0 )) s)"; done ) &
  hb=$!
  if "$@"; then rc=0; else rc=$?; fi
  kill "$hb" 2>/dev/null || true
  wait "$hb" 2>/dev/null || true
  if [ "$rc" = 0 ]; then say "  done in $(( $(date +%s) - t0 )) s"; fi
  return "$rc"
}

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3 python3.13 python3.12 python3.11; do
    if command -v "$cand" >/dev/null 2>&1 && python_ok "$cand"; then PY=$cand; break; fi
  done
fi
[ -n "$PY" ] && python_ok "$PY" || { say "Python 3.11 or newer is required (set PYTHON=...)" >&2; exit 1; }

pip() { .venv/bin/python -m pip --disable-pip-version-check "$@"; }

stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -x .venv/bin/python ]; then
  step "creating .venv with $("$PY" --version 2>&1)" "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ]; then
  say "installing actelemetry and its libraries into .venv (NumPy, PyArrow, DuckDB, Plotly,"
  say "scikit-learn, Gymnasium, websockets, Typer/Rich; dev tools pytest, ruff and mypy)"
  step "upgrading pip" pip install -q --upgrade pip
  step "installing packages (first time: a minute or two)" pip install -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# PyTorch is optional (the sequence models): an explicit choice, never a surprise download.
if ! .venv/bin/python -c 'import torch' >/dev/null 2>&1; then
  wheel=${TORCH_WHEEL:-}
  mode=${WITH_TORCH:-auto}
  if [ -z "$wheel" ] && [ "$mode" = auto ]; then
    for dir in ${PIP_FIND_LINKS:-}; do
      found=$(ls "$dir"/torch-*+cpu-*.whl 2>/dev/null | head -n 1 || true)
      if [ -n "$found" ]; then wheel=$found; break; fi
    done
  fi
  if [ -n "$wheel" ]; then
    step "installing PyTorch for the sequence models from $wheel" pip install "$wheel" \
      || say "PyTorch did not install; the sequence models stay off"
  elif [ "$mode" = 1 ]; then
    step "installing PyTorch for the sequence models (the torch extra)" pip install -e ".[dev,torch]" \
      || say "PyTorch did not install; the sequence models stay off"
  elif [ ! -f .venv/.torch-note ]; then
    say "PyTorch is not installed: the sequence models (GRU, TCN) are off and their tests skip."
    say "  WITH_TORCH=1 installs it through pip, TORCH_WHEEL=FILE from a wheel (see README)."
    touch .venv/.torch-note
  fi
fi

# Chromium drives the browser tests of the live page; a Debian package, so root only.
if [ "${WITH_BROWSER:-0}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    step "updating Debian's package lists (for Chromium)" apt-get update -q \
      && step "installing Chromium for the browser tests of the live page (about 100 MB)" \
        apt-get install -y -q -o Dpkg::Use-Pty=0 chromium \
      || say "could not install Chromium; the browser tests will fail" >&2
  else
    say "install Chromium (e.g. 'sudo apt-get install chromium') for the browser tests" >&2
  fi
fi
exit 0
