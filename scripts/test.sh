#!/usr/bin/env bash
# One command: set up a virtual environment, install bedrock-vcr with its test tools, and run
# the test suite (lint, type check, tests with coverage). Works on a fresh machine with Python
# 3.10+; Node.js is optional (the JavaScript SDK test is skipped without it).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet ".[test]"

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
# coverage starts before pytest, so the modules the plugin imports at start-up are measured too
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set -o pipefail
.venv/bin/python -m coverage run --source=bedrock_vcr -m pytest "$@" 2>&1 | tee "$log"
.venv/bin/python -m coverage report --skip-covered --sort=cover
# end with pytest's own summary line, so it closes the output
tail -n 1 "$log"
