#!/usr/bin/env bash
# Creates a virtual environment and installs bedrock-vcr into it once: a later run installs again
# only when the package's sources, pyproject.toml or the requested install changed, so after the
# first run the scripts need no package index (they run offline).
#
#   scripts/venv-install.sh PYTHON VENV PIP-INSTALL-ARGUMENTS...
#   scripts/venv-install.sh python3 .venv '.[test]' --group lint
#
# Dependency groups (--group) need pip 25.1 or later: an older pip is upgraded first.
set -euo pipefail

python=$1 venv=$2
shift 2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ ! -x "$venv/bin/python" ]]; then
  echo "==> creating $venv with $("$python" --version 2>&1)"
  "$python" -m venv "$venv"
fi
if ! "$venv/bin/python" - <<'PY'
import sys
from importlib.metadata import version

major, minor = (int(part) for part in version("pip").split(".")[:2])
sys.exit((major, minor) < (25, 1))
PY
then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
fi

stamp="$venv/.bedrock-vcr-install"
sources=$("$venv/bin/python" - "$@" <<'PY'
import hashlib
import sys
from pathlib import Path

digest = hashlib.sha256(" ".join(sys.argv[1:]).encode() + b"\0")
files = [Path(p) for p in ("pyproject.toml", "README.md", "LICENSE", ".ci/lowest.txt")]
for folder in ("src/bedrock_vcr", "schemas"):
    files += [p for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
for path in sorted(p for p in files if p.exists()):
    digest.update(str(path).encode() + b"\0" + path.read_bytes())
print(digest.hexdigest())
PY
)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$sources" ]]; then
  echo "==> $venv is up to date (sources and install unchanged)"
else
  echo "==> installing into $venv: $*"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
  echo "$sources" > "$stamp"
fi
