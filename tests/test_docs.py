"""The documentation site (docs/, mkdocs.yml) names every option and every public name.

``scripts/test.sh`` builds the site with ``mkdocs build --strict``, which fails on a broken
link or an API reference that does not resolve; these tests keep the pages from drifting
behind the code: an option or public name added without its documentation fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import bedrock_vcr
from bedrock_vcr import plugin
from bedrock_vcr.intercept import mock, settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
OPTIONS_PAGE = DOCS / "reference" / "options.md"
API_PAGE = DOCS / "reference" / "api.md"


class _Recorder:
    """Stands in for pytest's parser and option group, noting every name registered."""

    def __init__(self) -> None:
        self.options: list[str] = []
        self.ini: list[str] = []

    def getgroup(self, *args: Any, **kwargs: Any) -> _Recorder:
        return self

    def addoption(self, *names: str, **kwargs: Any) -> None:
        self.options += names

    def addini(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.ini.append(name)


def _registered() -> _Recorder:
    recorder = _Recorder()
    plugin.pytest_addoption(recorder)  # type: ignore[arg-type]
    return recorder


def _mentioned(name: str, text: str) -> bool:
    return re.search(rf"`{re.escape(name)}[`=( ]", text) is not None


def test_every_command_line_option_and_ini_key_is_documented() -> None:
    text = OPTIONS_PAGE.read_text()
    registered = _registered()
    assert registered.options and registered.ini
    missing = [n for n in registered.options + registered.ini if not _mentioned(n, text)]
    assert missing == [], f"document these in {OPTIONS_PAGE.relative_to(ROOT)}: {missing}"


def test_every_cassette_and_mock_option_is_documented() -> None:
    text = OPTIONS_PAGE.read_text()
    names = sorted(settings.OPTIONS) + list(mock.OPTIONS)
    missing = [name for name in names if not _mentioned(name, text)]
    assert missing == [], f"document these in {OPTIONS_PAGE.relative_to(ROOT)}: {missing}"


def test_every_public_name_has_its_api_reference() -> None:
    documented = set(re.findall(r"^::: bedrock_vcr\.(\w+)$", API_PAGE.read_text(), re.M))
    public = set(bedrock_vcr.__all__) - {"__version__"}
    assert sorted(public - documented) == [], f"add `::: bedrock_vcr.NAME` to {API_PAGE.name}"
    assert sorted(documented - public) == [], "the API page documents names that are not public"


def test_every_page_is_in_the_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert pages
    assert [page for page in pages if f": {page}\n" not in nav] == []


def test_the_options_check_would_catch_a_missing_option() -> None:
    assert not _mentioned("--bedrock-no-such-option", OPTIONS_PAGE.read_text())
    assert _mentioned("--bedrock-record-mode", "`--bedrock-record-mode=MODE`")
