"""What the package declares: its floors, its Python range, its metadata.

The "lowest" leg of ``scripts/test-matrix.sh`` installs the pins of ``.ci/lowest.txt``; each
must be the floor ``pyproject.toml`` declares, so the floors stay ones the suite has run on. The
matrix's Python versions are the ends of the classifiers' range and of ``requires-python``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from importlib.metadata import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")  # Python 3.11+: the newest leg and the main one run it
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _floors() -> dict[str, str]:
    declared = list(PROJECT["dependencies"])
    for extra in PROJECT["optional-dependencies"].values():
        declared += extra
    floors = {}
    for requirement in declared:
        name, floor = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)>=([0-9.]+)", requirement).groups()
        floors[name.split("[")[0].lower()] = floor
    return floors


def test_every_lowest_pin_is_a_declared_floor() -> None:
    pins = re.findall(r"^([a-z0-9_.\-]+)==([0-9.]+)$", (ROOT / ".ci/lowest.txt").read_text(), re.M)
    floors = _floors()
    assert {"botocore", "boto3", "aiobotocore"} <= {name for name, _ in pins}
    for name, version in pins:
        declared = floors[name]
        assert version.split(".")[: len(declared.split("."))] == declared.split("."), (
            f"{name}: .ci/lowest.txt pins {version}, pyproject.toml declares >={declared}"
        )


def test_the_matrix_runs_the_ends_of_the_supported_python_range() -> None:
    script = (ROOT / "scripts/test-matrix.sh").read_text()
    lowest = re.search(r"^LOWEST_PYTHON=(3\.\d+)$", script, re.M).group(1)
    newest = re.search(r"^NEWEST_PYTHON=(3\.\d+)$", script, re.M).group(1)
    versions = [
        c.rsplit(" ", 1)[1]
        for c in PROJECT["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert (lowest, newest) == (versions[0], versions[-1])
    assert PROJECT["requires-python"] == f">={lowest}"


# Hosts a previous change invented for the project: it has no public repository or docs host yet.
PLACEHOLDER_HOSTS = ("github.com/bedrock-vcr", "bedrock-vcr.readthedocs.io")


def test_the_installed_metadata_declares_license_typing_and_no_invented_urls() -> None:
    meta = metadata("bedrock-vcr")
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert "Typing :: Typed" in meta.get_all("Classifier")
    urls = meta.get_all("Project-URL") or []
    assert [u for u in urls if any(host in u for host in PLACEHOLDER_HOSTS)] == []
    site = (ROOT / "mkdocs.yml").read_text()
    assert [host for host in PLACEHOLDER_HOSTS if host in site] == []
    assert (ROOT / "LICENSE").read_text().split()[:3] == ["Apache", "License", "Version"]


def test_h2_is_an_extra_of_the_server_not_a_dependency() -> None:
    required = metadata("bedrock-vcr").get_all("Requires-Dist")
    h2 = [r for r in required if r.startswith("h2")]
    assert h2 and all("extra ==" in r for r in h2)
    assert any('extra == "server"' in r for r in h2)


def test_lint_tools_are_a_dependency_group_not_test_extras() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    test_extra = " ".join(config["project"]["optional-dependencies"]["test"])
    for tool in ("ruff", "mypy", "import-linter", "mkdocs"):
        assert tool not in test_extra
    groups = config["dependency-groups"]
    assert any(r.startswith("ruff") for r in groups["lint"])
    assert any(r.startswith("mkdocs") for r in groups["docs"])


@pytest.mark.parametrize(("require", "code"), [("0", 0), ("1", 1)], ids=["lenient", "required"])
def test_a_missing_interpreter_says_its_leg_did_not_run(
    tmp_path: Path, require: str, code: int
) -> None:
    bash = shutil.which("bash")
    assert bash
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path)}
    if any(Path(d, f"python{v}").exists() for d in ("/usr/bin", "/bin") for v in ("3.10", "3.13")):
        pytest.skip("this machine has a system python3.10 or python3.13")
    done = subprocess.run(
        [bash, str(ROOT / "scripts/test-matrix.sh")],
        env={**env, "REQUIRE_MATRIX": require},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert "matrix leg 'lowest' DID NOT RUN: no Python 3.10" in done.stderr
    assert "matrix leg 'newest' DID NOT RUN: no Python 3.13" in done.stderr
    assert "did not run: lowest newest" in done.stdout
