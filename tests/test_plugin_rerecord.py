"""Re-recording through pytest: ``--bedrock-drop-unplayed``, the ``bedrock_exact_volatile`` ini
key and quiet re-recording by default (issue 10.5, 10.6)."""

from __future__ import annotations

import textwrap
import time

import pytest

from bedrock_vcr import ConfigError, use_cassette

from .test_plugin import APP, SERVER_CONFTEST
from .test_plugin_options import ONE_CALL, TWO_CALLS

pytest_plugins = ["pytester"]

CASSETTE = ("cassettes", "test_story", "shared.yaml")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(SERVER_CONFTEST)
    pytester.makepyfile(app=APP)
    pytester.syspathinsert()
    return pytester


def _prompts(project: pytest.Pytester) -> list[str]:
    text = project.path.joinpath(*CASSETTE).read_text()
    return [line.split(":", 1)[1].strip(" '") for line in text.splitlines() if "prompt:" in line]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [((), ["one", "two"]), (("--bedrock-drop-unplayed",), ["one"])],
    ids=["kept-by-default", "dropped"],
)
def test_drop_unplayed_flag_leaves_out_what_the_test_no_longer_asks(
    project: pytest.Pytester, flags: tuple[str, ...], expected: list[str]
) -> None:
    project.makepyfile(test_story=TWO_CALLS)
    project.runpytest_subprocess("--bedrock-record-mode=once").assert_outcomes(passed=1)
    project.makepyfile(test_story=ONE_CALL.replace("def test_both():", "def test_both(server):"))
    result = project.runpytest_subprocess("--bedrock-record-mode=new_episodes", *flags)
    result.assert_outcomes(passed=1)
    assert _prompts(project) == expected


@pytest.mark.parametrize(("ini", "same"), [("", True), ("true", False)], ids=["quiet", "exact"])
def test_rerecording_is_quiet_unless_the_ini_asks_for_exact_values(
    project: pytest.Pytester, ini: str, same: bool
) -> None:
    if ini:
        project.makeini(f"[pytest]\nbedrock_exact_volatile = {ini}\n")
    project.makepyfile(test_story=TWO_CALLS)
    project.runpytest_subprocess("--bedrock-record-mode=once").assert_outcomes(passed=1)
    before = project.path.joinpath(*CASSETTE).read_text()
    time.sleep(1.05)  # a new second: date and recorded_at would differ
    project.runpytest_subprocess("--bedrock-record-mode=rewrite").assert_outcomes(passed=1)
    assert (project.path.joinpath(*CASSETTE).read_text() == before) is same


@pytest.mark.parametrize(
    ("name", "suggested"),
    [("drop_unplayd", "drop_unplayed"), ("exact_volatil", "exact_volatile")],
)
def test_misspelled_rerecording_options_get_the_closest_name(name: str, suggested: str) -> None:
    with pytest.raises(ConfigError, match=f"did you mean '{suggested}'"):
        use_cassette("unused.yaml", **{name: True})


def test_the_marker_takes_the_options(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_story=textwrap.dedent(
            """
            import pytest
            from app import generate

            @pytest.mark.bedrock_cassette("shared", drop_unplayed=True, exact_volatile=True)
            def test_both(server, bedrock_cassette):
                generate("one")
                assert bedrock_cassette.config.drop_unplayed
                assert bedrock_cassette.config.exact_volatile
            """
        )
    )
    project.runpytest_subprocess("--bedrock-record-mode=once").assert_outcomes(passed=1)


def test_a_failing_test_drops_nothing(project: pytest.Pytester) -> None:
    project.makepyfile(test_story=TWO_CALLS)
    project.runpytest_subprocess("--bedrock-record-mode=once").assert_outcomes(passed=1)
    failing = ONE_CALL.replace("def test_both():", "def test_both(server):") + "    assert 0\n"
    project.makepyfile(test_story=failing)
    result = project.runpytest_subprocess(
        "--bedrock-record-mode=new_episodes", "--bedrock-drop-unplayed"
    )
    result.assert_outcomes(failed=1)
    assert _prompts(project) == ["one", "two"]


def test_xdist_workers_sharing_a_cassette_rerecord_it_quietly(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_story="import pytest\nfrom app import generate\n\n"
        + "".join(
            f'@pytest.mark.bedrock_cassette("shared")\ndef test_{n}(server):\n'
            f"    generate('{n}')\n\n"
            for n in range(4)
        )
    )
    # rewrite: in `once` a test that opens the file after another worker wrote it replays
    first = project.runpytest_subprocess("-n", "2", "--bedrock-record-mode=rewrite")
    first.assert_outcomes(passed=4)
    before = project.path.joinpath(*CASSETTE).read_text()
    assert sorted(_prompts(project)) == ["0", "1", "2", "3"]
    time.sleep(1.05)
    rerecorded = project.runpytest_subprocess("-n", "2", "--bedrock-record-mode=rewrite")
    rerecorded.assert_outcomes(passed=4)
    assert sorted(_prompts(project)) == ["0", "1", "2", "3"]
    after = project.path.joinpath(*CASSETTE).read_text()
    # the order of the tests may differ between the runs; every interaction stays as it was
    assert sorted(after.split("- request:")) == sorted(before.split("- request:"))
