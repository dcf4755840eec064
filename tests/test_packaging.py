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
