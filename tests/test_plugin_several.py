"""Several cassettes for one test through the marker (a real inner pytest run): positional
extra cassettes, ``extra_cassettes=`` on a module marker and in the ``bedrock_vcr_config``
fixture, all adding up."""

from __future__ import annotations

import textwrap

import pytest

from .test_plugin import APP, SERVER_CONFTEST

pytest_plugins = ["pytester"]

RECORD = textwrap.dedent(
    """
    import pytest
    from app import generate

    @pytest.mark.bedrock_cassette("common")
    def test_make_common(server):
        assert generate("shared") == "echo: shared"

    @pytest.mark.bedrock_cassette(path="fixtures/other.yaml")
    def test_make_other(server):
        assert generate("other") == "echo: other"

    @pytest.mark.bedrock_cassette("third")
    def test_make_third(server):
        assert generate("third") == "echo: third"
    """
)

REPLAY = textwrap.dedent(
    """
    import pytest
    from app import generate

    pytestmark = pytest.mark.bedrock_cassette(extra_cassettes=["fixtures/other.yaml"])

    @pytest.mark.bedrock_cassette(None, "third")
    def test_uses_all(bedrock_cassette, bedrock_cassette_path):
        assert generate("shared") == "echo: shared"  # common.yaml, from the fixture
        assert generate("other") == "echo: other"  # fixtures/other.yaml, the module's marker
        assert generate("third") == "echo: third"  # third.yaml, this test's marker
        bedrock_cassette.calls.assert_call_count(3, operation="invoke_model")
        assert bedrock_cassette_path.name == "test_uses_all.bedrock.yaml"

    def test_module_marker_alone(bedrock_cassette):
        assert generate("other") == "echo: other"
        assert generate("shared") == "echo: shared"

    @pytest.mark.bedrock_cassette(None, "third")
    def test_not_recorded_anywhere():
        generate("nowhere")
    """
)


def test_marker_extra_cassettes_replay_and_stack(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(SERVER_CONFTEST)
    pytester.makepyfile(app=APP)
    pytester.syspathinsert()
    pytester.makepyfile(test_several=RECORD)
    result = pytester.runpytest("--bedrock-record-mode=once", "-p", "no:randomly")
    result.assert_outcomes(passed=3)
    folder = pytester.path / "cassettes" / "test_several"
    assert (folder / "common.yaml").is_file()
    assert (pytester.path / "fixtures" / "other.yaml").is_file()

    pytester.makeconftest(
        "import pytest\n\n"
        "@pytest.fixture\n"
        "def bedrock_vcr_config():\n"
        "    return {'extra_cassettes': ['common']}\n"
    )
    pytester.makepyfile(test_several=REPLAY)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"):
        monkeypatch.delenv(name, raising=False)
    result = pytester.runpytest("-p", "no:randomly", "-rf")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_not_recorded_anywhere*",
            "*matches no recorded interaction (searched the test's cassette *"
            "test_not_recorded_anywhere.bedrock.yaml (where new recordings go) and its extra "
            "cassettes *third.yaml, *other.yaml, *common.yaml;*",
        ]
    )
    assert not list(folder.glob("*.bedrock.yaml"))  # replay wrote no own cassette
