"""The pytest plugin, exercised through real inner pytest runs (pytester)."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

SERVER_CONFTEST = textwrap.dedent(
    """
    import json
    import pytest
    from bedrock_vcr import RecordedResponse
    from bedrock_vcr.server.http1 import BedrockServer
    from bedrock_vcr.server.sources import ScriptedSource

    def answer(request):
        prompt = json.loads(request.body)["prompt"]
        body = {"generation": "echo: " + prompt, "prompt_token_count": 1,
                "generation_token_count": 2, "stop_reason": "stop"}
        return RecordedResponse(200, {"content-type": "application/json"},
                                body=json.dumps(body).encode())

    @pytest.fixture
    def server(monkeypatch):
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        with BedrockServer([ScriptedSource(answer)]) as srv:
            monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", srv.url)
            yield srv
    """
)

APP = textwrap.dedent(
    """
    import json
    import boto3

    def generate(prompt):
        # written like the AWS examples: the code makes its own client
        client = boto3.client("bedrock-runtime")
        response = client.invoke_model(
            modelId="meta.llama3-8b-instruct-v1:0",
            body=json.dumps({"prompt": prompt, "max_gen_len": 16}),
        )
        return json.loads(response["body"].read())["generation"]
    """
)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(SERVER_CONFTEST)
    pytester.makepyfile(app=APP)
    pytester.syspathinsert()
    return pytester


def test_record_once_then_replay_offline_with_default_path(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(
        test_story=textwrap.dedent(
            """
            import pytest
            from app import generate

            @pytest.mark.bedrock_cassette
            def test_generate(server, bedrock_cassette):
                assert generate("hi") == "echo: hi"
            """
        )
    )
    result = project.runpytest("--bedrock-record-mode=once")
    result.assert_outcomes(passed=1)
    cassette = project.path / "cassettes" / "test_story" / "test_generate.bedrock.yaml"
    assert cassette.exists()
    assert "echo: hi" in cassette.read_text()

    # Replay: no server at all, default record mode (none), no credentials in the environment.
    project.makeconftest("")
    project.makepyfile(
        test_story=textwrap.dedent(
            """
            import os
            import pytest
            from app import generate

            @pytest.mark.bedrock_cassette
            def test_generate(bedrock_cassette):
                assert os.environ["AWS_ACCESS_KEY_ID"] == "bedrock-vcr-replay"
                assert generate("hi") == "echo: hi"
                assert bedrock_cassette.play_count == 1
            """
        )
    )
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    ):
        monkeypatch.delenv(name, raising=False)
    result = project.runpytest()
    result.assert_outcomes(passed=1)


def test_missing_cassette_in_none_mode_fails_the_test_with_the_fix(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_missing=textwrap.dedent(
            """
            import pytest
            from app import generate

            @pytest.mark.bedrock_cassette
            def test_generate():
                generate("hi")

            @pytest.mark.bedrock_cassette
            def test_no_bedrock_call_needs_no_cassette():
                assert True
            """
        )
    )
    result = project.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*CassetteNotFoundError*the cassette does not exist and record mode 'none'*",
            "*--bedrock-record-mode=once*",
        ]
    )
    assert not (project.path / "cassettes").exists()


def test_unmatched_request_fails_with_closest_recording(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_story=textwrap.dedent(
            """
            import pytest
            from app import generate

            @pytest.mark.bedrock_cassette("shared")
            def test_generate(server):
                generate("recorded")
            """
        )
    )
    project.runpytest("--bedrock-record-mode=once").assert_outcomes(passed=1)
    project.makepyfile(
        test_story=textwrap.dedent(
            """
            import pytest
            from app import generate

            @pytest.mark.bedrock_cassette("shared")
            def test_generate():
                generate("changed")
            """
        )
    )
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnmatchedRequestError: InvokeModel request to model 'meta.llama3-8b-instruct-v1:0'"
            " matches no recorded interaction.",
            "*cassette: *cassettes/test_story/shared.yaml",
            "*record mode: none",
            "*#0 InvokeModel meta.llama3-8b-instruct-v1:0",
            '*body #/prompt: recorded "recorded", request "changed"',
            "*fix: *--bedrock-record-mode=new_episodes*",
        ]
    )


# Precedence: command line > marker > bedrock_vcr_config fixture > ini > default.
@pytest.mark.parametrize(
    ("ini", "fixture", "marker", "cli", "expected"),
    [
        (None, None, None, None, "none"),
        ("once", None, None, None, "once"),
        ("once", "new_episodes", None, None, "new_episodes"),
        ("once", "new_episodes", "all", None, "all"),
        ("once", "new_episodes", "all", "rewrite", "rewrite"),
        (None, None, None, "all", "all"),
        (None, "all", None, None, "all"),
        (None, None, "once", None, "once"),
        ("all", None, "none", None, "none"),
        (None, "once", None, "none", "none"),
    ],
    ids=[
        "default",
        "ini",
        "fixture-over-ini",
        "marker-over-fixture",
        "cli-over-all",
        "cli-only",
        "fixture-only",
        "marker-only",
        "marker-over-ini",
        "cli-over-fixture",
    ],
)
def test_record_mode_precedence(
    pytester: pytest.Pytester,
    ini: str | None,
    fixture: str | None,
    marker: str | None,
    cli: str | None,
    expected: str,
) -> None:
    if ini:
        pytester.makeini(f"[pytest]\nbedrock_record_mode = {ini}\n")
    if fixture:
        pytester.makeconftest(
            "import pytest\n\n@pytest.fixture\ndef bedrock_vcr_config():\n"
            f"    return {{'record_mode': {fixture!r}}}\n"
        )
    mark = f"@pytest.mark.bedrock_cassette(record_mode={marker!r})" if marker else ""
    pytester.makepyfile(
        f"""
        import pytest

        {mark}
        def test_mode(bedrock_record_mode, bedrock_cassette):
            assert bedrock_record_mode == {expected!r}
            assert bedrock_cassette.record_mode.value == {expected!r}
        """
    )
    args = [f"--bedrock-record-mode={cli}"] if cli else []
    pytester.runpytest(*args).assert_outcomes(passed=1)


def test_misspelled_marker_option_fails_loudly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.bedrock_cassette(record_mod="once")
        def test_x():
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown option 'record_mod'*did you mean 'record_mode'*"])


def test_unknown_record_mode_lists_valid_ones(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.bedrock_cassette(record_mode="sometimes")
        def test_x():
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*unknown record mode 'sometimes'; valid modes: none, once, new_episodes, all, rewrite*"]
    )


def test_cli_choice_is_checked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("--bedrock-record-mode=sometimes")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*invalid choice: 'sometimes'*"])


def test_marker_path_and_cassette_dir_ini(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nbedrock_cassette_dir = recordings\n")
    project.makepyfile(
        test_paths=textwrap.dedent(
            """
            import pytest
            from app import generate

            @pytest.mark.bedrock_cassette(path="elsewhere/custom.yaml")
            def test_explicit(server, bedrock_cassette_path):
                assert bedrock_cassette_path.name == "custom.yaml"
                generate("a")

            @pytest.mark.parametrize("word", ["x y", "z"])
            @pytest.mark.bedrock_cassette
            def test_param(server, word):
                generate(word)

            class TestGroup:
                @pytest.mark.bedrock_cassette
                def test_in_class(self, server):
                    generate("c")
            """
        )
    )
    project.runpytest("--bedrock-record-mode=once").assert_outcomes(passed=4)
    assert (project.path / "elsewhere" / "custom.yaml").exists()
    folder = project.path / "recordings" / "test_paths"
    # beside the cassettes only their git-ignored work folder (lock files of the writes)
    written = sorted(p.name for p in folder.iterdir() if p.name != ".bedrock-vcr")
    assert written == [
        "TestGroup.test_in_class.bedrock.yaml",
        "test_param[x%20y].bedrock.yaml",
        "test_param[z].bedrock.yaml",
    ]


def test_fixture_without_marker_and_outside_tests_nothing_is_hooked(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_plain=textwrap.dedent(
            """
            from app import generate

            def test_no_cassette_goes_to_the_server(server):
                # no marker, no fixture: bedrock-vcr stays out of the way
                assert generate("live") == "echo: live"

            def test_fixture_alone_records(server, bedrock_cassette):
                assert generate("fixture") == "echo: fixture"
            """
        )
    )
    project.runpytest("--bedrock-record-mode=once").assert_outcomes(passed=2)
    files = list((project.path / "cassettes").rglob("*.yaml"))
    assert [f.name for f in files] == ["test_fixture_alone_records.bedrock.yaml"]


def test_installs_beside_pytest_recording(project: pytest.Pytester) -> None:
    pytest.importorskip("pytest_recording")
    project.makepyfile(
        test_both=textwrap.dedent(
            """
            import pytest
            from app import generate

            def test_fixture_names_do_not_clash(vcr_config, bedrock_vcr_config, record_mode,
                                                bedrock_record_mode):
                assert vcr_config == {} and bedrock_vcr_config == {}
                assert record_mode == "none" and bedrock_record_mode == "once"

            @pytest.mark.bedrock_cassette
            def test_bedrock_marker(server, bedrock_cassette):
                assert generate("both") == "echo: both"
                assert len(bedrock_cassette.new_interactions) == 1
            """
        )
    )
    result = project.runpytest("--bedrock-record-mode=once", "--record-mode=none")
    result.assert_outcomes(passed=2)


def test_a_test_pays_for_one_autouse_fixture_and_a_marker_test_for_no_other(
    pytester: pytest.Pytester,
) -> None:
    """Every fixture pytest sets up costs each test about 0.1 ms: the plugin gives every test
    one autouse fixture, and a test with the marker (or mock markers) needs no other of the
    plugin's; a test asking for ``bedrock_cassette`` as well gets the marker's cassette, and
    nothing a test used is kept once it ended."""
    pytester.makepyfile(
        """
        import gc
        import weakref

        import pytest
        from bedrock_vcr import Answer
        from bedrock_vcr.intercept import clients

        KEPT = []

        def ours(request):
            return [n for n in request.fixturenames if "bedrock" in n or n == "monkeypatch"]

        def test_plain(request):
            assert ours(request) == ["_bedrock_vcr"]

        @pytest.mark.bedrock_cassette("c")
        @pytest.mark.bedrock_answer(Answer("hi"), optional=True)
        def test_marked(request):  # the default options fixture is set up once a session
            assert ours(request) == ["_bedrock_vcr", "bedrock_vcr_config"]
            assert len(clients.active_handlers()) == 2

        @pytest.mark.bedrock_cassette("c")
        def test_marked_and_asked(request, bedrock_cassette):
            assert bedrock_cassette.path.name == "c.yaml"
            assert clients.active_handlers()[0].cassette is bedrock_cassette
            KEPT.append(weakref.ref(bedrock_cassette))

        def test_none_left():  # nor kept: a session keeps every test item
            gc.collect()
            assert clients.active_handlers() == [] and KEPT[0]() is None
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=4)


@pytest.mark.parametrize("marker", ["bedrock_cassette", "bedrock_mock"])
def test_a_replayed_test_leaves_the_environment_as_it_found_it(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, marker: str
) -> None:
    before = {
        "AWS_ACCESS_KEY_ID": "real-id",
        "AWS_PROFILE": "work",
        "AWS_CONFIG_FILE": "/home/me/.aws/config",
        "AWS_REGION": "eu-west-1",
    }
    gone = ["AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_SHARED_CREDENTIALS_FILE"]
    for name, value in before.items():
        monkeypatch.setenv(name, value)
    for name in gone:
        monkeypatch.delenv(name, raising=False)
    project.makepyfile(
        test_env=textwrap.dedent(
            f"""
            import os
            import pytest

            BEFORE = {before!r}
            GONE = {gone!r}

            @pytest.mark.{marker}
            def test_replayed():
                assert os.environ["AWS_ACCESS_KEY_ID"] == "bedrock-vcr-replay"
                assert "AWS_PROFILE" not in os.environ
                assert os.environ["AWS_REGION"] == "eu-west-1"  # a region set is kept
                os.environ["AWS_SESSION_TOKEN"] = "set by the test"

            def test_after():
                assert {{name: os.environ.get(name) for name in BEFORE}} == BEFORE
                assert [name for name in GONE if name in os.environ] == []
            """
        )
    )
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_the_engine_is_imported_without_pytests_assertion_rewriting(
    pytester: pytest.Pytester,
) -> None:
    # pytest rewrites every module of a plugin's installed distribution, through a loader
    # that made the engine's first import in a test process cost about three times as much;
    # the engine raises typed errors and has no asserts worth rewriting. The user's own test
    # modules are still rewritten. (An editable install is not marked; this early plugin marks
    # the package as an installed wheel is, before the entry points load.)
    pytester.makepyfile(
        mark_engine="import pytest\n\npytest.register_assert_rewrite('bedrock_vcr')\n"
    )
    pytester.makepyfile(
        test_loaders=textwrap.dedent(
            """
            import sys

            def test_engine_modules_are_plain():
                import bedrock_vcr.cassettes.cache
                import bedrock_vcr.intercept.player

                hook = type(sys.meta_path[0]).__name__
                assert hook == "AssertionRewritingHook"  # rewriting is on in this run
                for name in ("bedrock_vcr.cassettes.cache", "bedrock_vcr.intercept.player"):
                    loader = type(sys.modules[name].__spec__.loader).__name__
                    assert loader != "AssertionRewritingHook", name

            def test_the_users_asserts_are_still_rewritten():
                left, right = [1, 2], [1, 3]
                assert left == right
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "mark_engine")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*At index 1 diff: 2 != 3*"])
