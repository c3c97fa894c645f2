#!/usr/bin/env bash
# Set up a fresh Debian machine for misec_rules: system packages (when root),
# a virtual environment in .venv, and the package with its dependencies.
# Called by `make demo` and `make test`; safe to run again (it skips what is done).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
EXTRAS=${EXTRAS:-dev,dask}

# System packages: Python venv and headers and a C compiler (durable-rules builds from
# source), tesseract with the language data the visual-zone reader uses, the OCR-B font.
SYS_PKGS=(python3-venv python3-dev gcc g++ make tesseract-ocr tesseract-ocr-eng
          tesseract-ocr-fin tesseract-ocr-swe tesseract-ocr-deu tesseract-ocr-fra
          fonts-ocr-b fonts-dejavu-core)
missing=()
for p in "${SYS_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: these Debian packages are missing; install them first:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# A Python the package supports (3.11 or 3.12: durable-rules does not build on 3.13+).
PY=""
for cand in "${PYTHON:-}" python3.12 python3.11 python3; do
  [ -n "$cand" ] || continue
  if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(not ((3,11) <= sys.version_info[:2] < (3,13)))' 2>/dev/null; then
    PY=$cand; break
  fi
done
if [ -z "$PY" ]; then
  echo "setup: need Python 3.11 or 3.12 (durable-rules does not build on 3.13+); set PYTHON=/path/to/python3.12" >&2
  exit 1
fi

stamp="$VENV/.misec-installed"
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$(cat "$stamp")" != "$EXTRAS" ]; then
  echo "setup: installing misec-rules[$EXTRAS] into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip setuptools wheel
  "$VENV/bin/python" -m pip install -q -e ".[$EXTRAS]"
  echo "$EXTRAS" > "$stamp"
fi
