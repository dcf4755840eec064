"""The wheel ships every package of src/ (the package list in pyproject.toml is explicit)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")


def test_every_source_package_is_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    src = ROOT / "src"
    found = {
        ".".join(init.parent.relative_to(src).parts)
        for init in src.rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert "bedrock_vcr._schemas" in listed


def test_every_schema_file_is_shipped() -> None:
    from importlib import resources

    shipped = {p.name for p in resources.files("bedrock_vcr._schemas").iterdir()}
    on_disk = {p.name for p in (ROOT / "schemas").glob("*.json")}
    assert on_disk and on_disk <= shipped


def test_public_api_resolves_lazily() -> None:
    import bedrock_vcr

    exported = set(bedrock_vcr._EXPORTS)
    assert exported | {"__version__"} == set(bedrock_vcr.__all__)
    for name in bedrock_vcr.__all__:
        assert getattr(bedrock_vcr, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        bedrock_vcr.nope  # noqa: B018


def test_a_public_name_follows_its_module_when_that_is_imported_anew() -> None:
    # pytester's in-process runs put sys.modules back afterwards, dropping what they imported:
    # a name the package kept from such a run would be another class than the engine's next
    # import of its module (isinstance checks then fail in the next run)
    import subprocess
    import sys

    code = (
        "import sys, bedrock_vcr\n"
        "first = bedrock_vcr.Answer\n"
        "for name in [n for n in sys.modules if n.startswith('bedrock_vcr.simulation')]:\n"
        "    del sys.modules[name]\n"
        "import bedrock_vcr.simulation as fresh\n"
        "assert fresh.Answer is not first\n"
        "assert bedrock_vcr.Answer is fresh.Answer\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
