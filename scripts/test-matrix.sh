#!/usr/bin/env bash
# The test suite on the oldest and the newest of what bedrock-vcr supports, each in its own
# virtual environment (.venv-lowest, .venv-newest), installed once:
#
#   lowest: the lowest supported Python with the floors of .ci/lowest.txt (botocore, boto3,
#           aiobotocore as pyproject.toml declares them);
#   newest: the newest supported Python with the newest releases of everything.
#
# scripts/test.sh runs this after its own checks when CI=true or MATRIX=1. An interpreter that
# is not on this machine (neither pythonX.Y on PATH nor under pyenv) is not faked: the leg
# prints that it did NOT run, and the script fails only if a leg that ran failed (set
# REQUIRE_MATRIX=1 to fail on a missing interpreter too). Extra arguments go to pytest.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The ends of the supported range: tests/test_packaging.py checks them against the classifiers.
LOWEST_PYTHON=3.10
NEWEST_PYTHON=3.13

find_python() {  # prints a python executable of version $1, or nothing
  local want=$1 candidate
  for candidate in "python$want" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/python; do
    [[ -n "$(command -v "$candidate" 2>/dev/null)" ]] || continue
    if [[ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" == "$want" ]]; then
      command -v "$candidate"
      return 0
    fi
  done
}

failed=() missing=() ran=()
run_leg() {  # name, python version, pip install arguments...
  local name=$1 version=$2 python
  shift 2
  python=$(find_python "$version")
  if [[ -z "$python" ]]; then
    echo "!!!! matrix leg '$name' DID NOT RUN: no Python $version on this machine" \
      "(install python$version or pyenv install $version)" >&2
    missing+=("$name")
    return
  fi
  echo "==> matrix leg '$name': Python $version ($python)"
  if ! bash scripts/venv-install.sh "$python" ".venv-$name" "$@"; then
    failed+=("$name (install)")
    return
  fi
  ".venv-$name/bin/python" -m pip list --disable-pip-version-check 2>/dev/null \
    | grep -iE '^(botocore|boto3|aiobotocore|vcrpy|pytest) ' | tr -s ' ' | paste -sd ',' \
    | sed "s/^/==> leg '$name' runs with: /"
  if ".venv-$name/bin/python" -m pytest -q -p no:cacheprovider -n 2 "${PYTEST_ARGS[@]}"; then
    ran+=("$name")
  else
    failed+=("$name")
  fi
}

PYTEST_ARGS=("$@")
run_leg lowest "$LOWEST_PYTHON" ".[test]" -c .ci/lowest.txt
run_leg newest "$NEWEST_PYTHON" --upgrade --upgrade-strategy eager ".[test]"

echo "==> matrix: passed: ${ran[*]:-none}; failed: ${failed[*]:-none}; did not run: ${missing[*]:-none}"
if (( ${#failed[@]} )); then
  exit 1
fi
if (( ${#missing[@]} )) && [[ "${REQUIRE_MATRIX:-0}" == "1" ]]; then
  exit 1
fi
