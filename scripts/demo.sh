#!/usr/bin/env sh
# The bedrock-vcr demo in one command: set up a virtual environment, install the package (a normal,
# non-editable install, as a user would), then replay the demo suite in examples/ from the bundled
# cassettes in cassettes/. Needs only Python 3.10+ with venv and pip; the install needs the package
# index once, after which the demo runs offline and without AWS credentials. Exits non-zero when a
# demo test fails.
#
#   scripts/demo.sh                      # from any directory
#   PYTHON=python3.12 scripts/demo.sh    # choose the interpreter for the virtual environment
#   scripts/demo.sh -k titan             # extra arguments go to pytest
set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"

PYTHON=${PYTHON:-python3}
VENV="$ROOT/.venv"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "demo.sh: bedrock-vcr needs Python 3.10 or newer; set PYTHON=/path/to/python3.x" >&2
    exit 2
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating $VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
fi

# Install again only when the package's sources changed, so later runs need no network.
STAMP="$VENV/.bedrock-vcr-sources"
SOURCES=$("$VENV/bin/python" -c '
import hashlib
from pathlib import Path

digest = hashlib.sha256()
files = [Path("pyproject.toml"), Path("README.md")]
for folder in ("src/bedrock_vcr", "schemas"):
    files += [p for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
for path in sorted(p for p in files if p.exists()):
    digest.update(str(path).encode() + b"\0" + path.read_bytes())
print(digest.hexdigest())
')
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SOURCES" ]; then
    echo "==> bedrock-vcr is installed in $VENV (sources unchanged)"
else
    echo "==> installing bedrock-vcr into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check .
    echo "$SOURCES" > "$STAMP"
fi

echo "==> replaying the demo from cassettes/ (offline, no AWS credentials needed)"
exec "$VENV/bin/python" -m pytest examples -p no:cacheprovider -s -v "$@"
