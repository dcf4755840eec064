#!/usr/bin/env bash
# One command: set up a virtual environment, install bedrock-vcr with its test tools, and run
# the checks: lint, types, layer contract, the documentation site (strict), and the test suite
# with coverage. Works on a fresh machine with Python 3.10+; Node.js is optional (the JavaScript
# SDK test is skipped without it). The install happens once: later runs need no package index
# until the sources or pyproject.toml change.
#
# With CI=true (or MATRIX=1) it then runs scripts/test-matrix.sh: the suite on the lowest
# supported Python with the lowest declared botocore/boto3/aiobotocore, and on the newest Python
# with the newest releases. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
bash scripts/venv-install.sh "$PYTHON" .venv ".[test]" --group lint --group docs

# The JavaScript SDK tests: optional locally (skipped without Node.js), required in CI.
if [ "${CI:-}" = "true" ]; then
  REQUIRE_JS=1 bash .ci/install-js.sh
else
  bash .ci/install-js.sh
fi

.venv/bin/python -m ruff check src tests examples $( [ -d benchmarks ] && echo benchmarks )
.venv/bin/python -m ruff format --check src tests examples $( [ -d benchmarks ] && echo benchmarks )
.venv/bin/python -m mypy src
# the layer contract of pyproject.toml: imports point down (tests/test_layers.py checks cycles too)
.venv/bin/lint-imports --no-cache
# the documentation site: every page, link and API reference must resolve
site=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$site" "$log"' EXIT
.venv/bin/python -m mkdocs build --strict --quiet --site-dir "$site"
echo "==> documentation site built (mkdocs --strict)"

matrix=0
if [ "${CI:-}" = "true" ] || [ "${MATRIX:-0}" = "1" ]; then
  bash scripts/test-matrix.sh "$@" || matrix=$?
fi

# coverage starts before pytest, so the modules the plugin imports at start-up are measured too
.venv/bin/python -m coverage run --source=bedrock_vcr -m pytest "$@" 2>&1 | tee "$log"
.venv/bin/python -m coverage report --skip-covered --sort=cover
# end with pytest's own summary line, so it closes the output
tail -n 1 "$log"
if [ "$matrix" != 0 ]; then
  echo "test.sh: a leg of scripts/test-matrix.sh failed (see its summary above)" >&2
  exit "$matrix"
fi
