"""What pytest-recording and vcrpy users expect: network blocking, disabling, a summary of the
run, unplayed interactions, and pointers from their option names to ours."""

from __future__ import annotations

import textwrap

import pytest

from bedrock_vcr import ConfigError, MatchConfig, use_cassette

from .test_plugin import APP, SERVER_CONFTEST

pytest_plugins = ["pytester"]

TWO_CALLS = textwrap.dedent(
    """
    import pytest
    from app import generate

    @pytest.mark.bedrock_cassette("shared")
    def test_both(server):
        generate("one")
        generate("two")
    """
)
ONE_CALL = textwrap.dedent(
    """
    import pytest
    from app import generate

    @pytest.mark.bedrock_cassette("shared")
    def test_both():
        generate("one")
    """
)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(SERVER_CONFTEST)
    pytester.makepyfile(app=APP)
    pytester.syspathinsert()
    return pytester


def test_the_run_ends_with_a_summary_of_cassettes(project: pytest.Pytester) -> None:
    project.makepyfile(test_story=TWO_CALLS)
    recorded = project.runpytest_subprocess("--bedrock-record-mode=once")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(
        ["bedrock-vcr: 0 cassettes replayed (0 interactions), 1 recorded (2 interactions written)*"]
    )
    project.makepyfile(test_story=ONE_CALL)
    replayed = project.runpytest_subprocess()
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(
        [
            "bedrock-vcr: 1 cassettes replayed (1 interactions), 0 recorded*, 1 recorded "
            "interactions never played"
        ]
    )


def test_unplayed_interactions_can_fail_the_test(project: pytest.Pytester) -> None:
    project.makepyfile(test_story=TWO_CALLS)
    project.runpytest_subprocess("--bedrock-record-mode=once").assert_outcomes(passed=1)
    project.makepyfile(test_story=ONE_CALL)
    result = project.runpytest_subprocess("--bedrock-assert-all-played")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*UnplayedInteractionsError: 1 recorded interaction(s) of *shared.yaml were never*",
            "*- InvokeModel meta.llama3-8b-instruct-v1:0",
        ]
    )


def test_the_summary_adds_up_xdist_workers(project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    project.makepyfile(
        test_many="import pytest\nfrom app import generate\n\n"
        + "".join(
            f"@pytest.mark.bedrock_cassette\ndef test_{n}(server):\n    generate('{n}')\n\n"
            for n in range(4)
        )
    )
    result = project.runpytest_subprocess("-n", "2", "--bedrock-record-mode=once")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*bedrock-vcr: 0 cassettes replayed*4 recorded (4 interactions*"])


BLOCKED = textwrap.dedent(
    """
    import pytest
    from app import generate

    def test_unmarked(server):
        generate("live?")
    """
)


def test_block_network_refuses_tests_without_a_cassette(project: pytest.Pytester) -> None:
    project.makepyfile(test_blocked=BLOCKED)
    result = project.runpytest_subprocess("--bedrock-block-network")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*NetworkBlockedError: bedrock-vcr blocked POST http://127.0.0.1*"]
    )
    allowed = project.runpytest_subprocess(
        "--bedrock-block-network", "--bedrock-allowed-hosts=127.0.0.1"
    )
    allowed.assert_outcomes(passed=1)


def test_pytest_recordings_block_network_flag_is_honoured(project: pytest.Pytester) -> None:
    pytest.importorskip("pytest_recording")
    project.makepyfile(test_blocked=BLOCKED)
    result = project.runpytest_subprocess(
        "--block-network", "--allowed-hosts=127.0.0.1", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)  # the local server is allowed by both plugins


def test_disable_goes_live(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_live=textwrap.dedent(
            """
            import pytest
            from app import generate

            @pytest.mark.bedrock_cassette
            def test_live(server):
                assert generate("hi") == "echo: hi"  # no cassette exists: answered live
            """
        )
    )
    project.runpytest_subprocess("--bedrock-disable").assert_outcomes(passed=1)
    assert not list(project.path.rglob("*.bedrock.yaml"))
    if pytest.importorskip("pytest_recording"):
        project.runpytest_subprocess("--disable-recording").assert_outcomes(passed=1)


def test_record_mode_of_pytest_recording_gets_a_pointer(project: pytest.Pytester) -> None:
    pytest.importorskip("pytest_recording")
    project.makepyfile(test_story=TWO_CALLS)
    result = project.runpytest_subprocess("--record-mode=once")
    result.stdout.fnmatch_lines(["*--record-mode is pytest-recording's option*"])


@pytest.mark.parametrize(
    ("name", "pointer"),
    [
        ("filter_headers", "only a safe list of request headers is ever written"),
        ("cassette_library_dir", "bedrock_cassette_dir ini key"),
        ("before_record", "before_record_request"),
    ],
)
def test_vcrpy_option_names_point_to_the_equivalent(
    name: str, pointer: str, tmp_path: object
) -> None:
    with pytest.raises(ConfigError, match=rf"{name!r} in use_cassette\(\) is a vcrpy option"):
        with use_cassette(f"{tmp_path}/c.yaml", **{name: "x"}):
            pass
    with pytest.raises(ConfigError, match=pointer):
        with use_cassette(f"{tmp_path}/c.yaml", **{name: "x"}):
            pass


def test_vcrpy_match_on_values_point_to_the_equivalent() -> None:
    with pytest.raises(ConfigError, match=r"'uri' is vcrpy's: use operation and model_id"):
        MatchConfig(match_on=("method", "uri"))
