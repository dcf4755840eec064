"""Default cassette paths: one file per test id, wherever pytest is started from, and never the
file pytest-recording writes for the same test."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from bedrock_vcr.cassettes.paths import escape_name

pytest_plugins = ["pytester"]

RECORD_PATHS = textwrap.dedent(
    """
    import json, os, pytest

    @pytest.fixture(autouse=True)
    def _note_paths(request, bedrock_cassette_path):
        theirs = None
        if request.config.pluginmanager.hasplugin("recording"):
            folder = request.getfixturevalue("vcr_cassette_dir")
            name = request.getfixturevalue("default_cassette_name")
            theirs = os.path.join(folder, name + ".yaml")
        with open(os.environ["PATHS_OUT"], "a") as out:
            out.write(json.dumps([request.node.nodeid, str(bedrock_cassette_path), theirs]) + "\\n")
    """
)
SAME_TEST = "def test_call():\n    pass\n"
IDS = textwrap.dedent(
    """
    import pytest

    @pytest.mark.parametrize("word", ["a b", "a_b", "a/b", "a%20b", "A B"])
    def test_param(word):
        pass

    class TestOne:
        class TestInner:
            def test_x(self):
                pass

    class TestTwo:
        class TestInner:
            def test_x(self):
                pass
    """
)


def _layout(pytester: pytest.Pytester) -> None:
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "conftest.py").write_text(RECORD_PATHS)
    for folder in ("unit", "integration"):
        target = pytester.path / "tests" / folder
        target.mkdir(parents=True)
        (target / "__init__.py").write_text("")
        (target / "test_api.py").write_text(SAME_TEST)
    (pytester.path / "tests" / "__init__.py").write_text("")
    (pytester.path / "tests" / "unit" / "test_ids.py").write_text(IDS)


def _paths(pytester: pytest.Pytester, out: Path, *args: str) -> dict[str, tuple[str, str]]:
    pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", *args).assert_outcomes(passed=9)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    out.unlink()
    return {node.split("tests/")[-1]: (ours, theirs) for node, ours, theirs in rows}


def test_default_paths_are_unique_and_independent_of_the_working_directory(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _layout(pytester)
    out = pytester.path / "paths.jsonl"
    monkeypatch.setenv("PATHS_OUT", str(out))
    from_root = _paths(pytester, out)
    ours = [path for path, _ in from_root.values()]
    assert len(set(ours)) == len(ours) == 9
    for node, (path, theirs) in from_root.items():
        test_dir = (pytester.path / "tests" / node.split("::")[0]).parent
        assert Path(path).parent.parent == test_dir / "cassettes", node
        assert path.endswith(".bedrock.yaml")
        if theirs is not None:  # pytest-recording installed: never its file
            assert Path(path) != Path(theirs), node
    monkeypatch.chdir(pytester.path / "tests")
    from_tests = _paths(pytester, out, "unit", "integration")
    assert sorted(p for p, _ in from_tests.values()) == sorted(ours)


@pytest.mark.parametrize(
    "names",
    [
        ["a b", "a_b", "a/b", "a%20b", "A B", "a\\b", "a:b"],
        ["test[x y]", "test[x_y]", "test[x/y]", "test[x?y]"],
        [".hidden", "%2Ehidden", "..", "."],
        ["x" * 300, "x" * 299 + "y", "x" * 301],
    ],
)
def test_escaping_never_merges_two_names(names: list[str]) -> None:
    escaped = [escape_name(n) for n in names]
    assert len(set(escaped)) == len(names)
    for name in escaped:
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        assert len(name) <= 150


def test_a_cassette_at_the_old_default_path_is_pointed_to(pytester: pytest.Pytester) -> None:
    old = pytester.path / "cassettes" / "test_moved" / "test_call.yaml"
    old.parent.mkdir(parents=True)
    old.write_text("# bedrock-vcr cassette (format described in README.md)\nversion: 1\n")
    pytester.makepyfile(
        test_moved="import pytest\n\n@pytest.mark.bedrock_cassette\ndef test_call():\n    pass\n"
    )
    result = pytester.runpytest_subprocess("-q", "-W", "error")
    result.stdout.fnmatch_lines(
        ["*CassetteMovedWarning*", "*fix: move it (git mv *test_call.yaml*"]
    )
    assert result.ret != 0
