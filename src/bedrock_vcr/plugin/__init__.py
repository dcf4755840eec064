"""pytest glue: command-line option, ini keys, the ``bedrock_cassette`` marker and fixtures.

The engine lives in the other modules and is imported lazily inside fixtures, so loading the
plugin costs nothing for tests that do not use it. Settings precedence is documented in
:mod:`bedrock_vcr.intercept.settings`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import options
from .options import MARKER

if TYPE_CHECKING:
    from ..cassettes.cassette import Cassette


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    # the first hook called as the plugin is registered, before any other module is imported
    _import_engine_plainly(pluginmanager)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def _import_engine_plainly(pluginmanager: pytest.PytestPluginManager) -> None:
    """Take the package off pytest's list of modules to rewrite asserts in.

    pytest marks every module of an installed plugin's distribution, and its rewriting loader
    made the engine's first import in each test process (and each xdist worker) about three
    times as slow. The engine reports through typed errors; its few asserts state invariants
    and need no rewritten message. This runs before any module but the plugin's own is
    imported. It uses the hook's private state, so it is best effort: when that state is not
    the expected shape, the modules are rewritten as before.
    """
    hook = getattr(pluginmanager, "rewrite_hook", None)
    marked = getattr(hook, "_must_rewrite", None)
    known = getattr(hook, "_marked_for_rewrite_cache", None)
    if not isinstance(marked, set) or not isinstance(known, dict):
        return
    package = __name__.partition(".")[0]
    marked.discard(package)
    for name in [n for n in known if n == package or n.startswith(package + ".")]:
        del known[name]


def pytest_configure(config: pytest.Config) -> None:
    options.add_markers(config)
    from . import summary

    summary.stats(config)
    config.pluginmanager.register(summary, "bedrock_vcr_summary")
    if config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(summary.XdistStats(config), "bedrock_vcr_xdist_stats")
    # Nothing else: the first cassette or mock a test activates adopts every bedrock-runtime
    # client that exists by then (made at conftest, plugin or module import) and tracks the
    # rest, so a run that never uses bedrock-vcr loads none of it, nor botocore.


def _test_id(request: pytest.FixtureRequest) -> str:
    """``Class.Inner.test[param]``: every part of the node id after the file."""
    parts = request.node.nodeid.split("::")[1:]
    return ".".join(parts) or request.node.name


def _test_file(request: pytest.FixtureRequest) -> Path | None:
    return Path(str(request.node.path)) if request.node.path else None


def default_cassette_path(request: pytest.FixtureRequest) -> Path:
    """Where this test's cassette lives when the marker names no path (see the README)."""
    from ..cassettes.paths import default_path

    config = request.config
    folder = config.getini("bedrock_cassette_dir")
    return default_path(config.rootpath, folder, _test_file(request), _test_id(request))


def _warn_if_moved(request: pytest.FixtureRequest, path: Path) -> None:
    if path.exists():
        return
    from ..cassettes.paths import legacy_path

    name = request.node.name
    if request.cls is not None:
        name = f"{request.cls.__name__}.{name}"
    config = request.config
    legacy = legacy_path(
        config.rootpath, config.getini("bedrock_cassette_dir"), _test_file(request), name
    )
    if not legacy.is_file():
        return
    with legacy.open("rb") as head:
        ours = head.read(64).startswith(b"# bedrock-vcr cassette")
    if ours:
        from ..errors import CassetteMovedWarning

        warnings.warn(CassetteMovedWarning(legacy, path), stacklevel=2)


@pytest.fixture(scope="session")
def bedrock_vcr_config() -> dict[str, Any]:
    """Options for every cassette of the tests that see this fixture; override it in a conftest.

    Precedence: command line > marker > this fixture > ini > defaults.
    """
    return {}


def _marker_options(request: pytest.FixtureRequest) -> tuple[str | None, dict[str, Any]]:
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return None, {}
    options = dict(marker.kwargs)
    name = marker.args[0] if marker.args else options.pop("name", None)
    path = options.pop("path", None)
    # every marker on the test (function, class, module) adds its extra cassettes, closest first
    extras: list[Any] = []
    for each in request.node.iter_markers(MARKER):
        listed = each.kwargs.get("extra_cassettes", ())
        listed = [listed] if isinstance(listed, (str, Path)) else list(listed)
        extras += [e for e in [*each.args[1:], *listed] if e not in extras]
    if extras:
        options["extra_cassettes"] = extras
    return (str(path) if path is not None else name), options


def _place(name: str | Path, default: Callable[[], Path], rootdir: Path) -> Path:
    """A cassette named in a marker or the fixture: a bare name beside the default cassette, a
    relative path from the rootdir; ``.yaml`` added when it has no suffix. (``default`` is
    worked out only for a bare name: most markers name a path.)"""
    path = Path(name)
    if not path.suffix:
        path = path.with_suffix(".yaml")
    if not path.is_absolute():
        base = default().parent if len(path.parts) == 1 else rootdir
        path = base / path
    return path


def _resolve(request: pytest.FixtureRequest) -> tuple[Path, dict[str, Any]]:
    from ..intercept import settings as _config

    name, marker_opts = _marker_options(request)
    fixture_opts = dict(request.getfixturevalue("bedrock_vcr_config"))
    fixture_path = fixture_opts.pop("path", None)
    _config.check_names(fixture_opts, "the bedrock_vcr_config fixture")
    _config.check_names(marker_opts, f"@pytest.mark.{MARKER}")
    ini, cli = _run_options(request.config)
    options = _config.merge(ini, fixture_opts, marker_opts, cli)
    found: list[Path] = []

    def default() -> Path:
        if not found:
            found.append(default_cassette_path(request))
        return found[0]

    chosen = name or fixture_path
    if chosen is None:
        path = default()
        _warn_if_moved(request, path)
    else:
        path = _place(chosen, default, request.config.rootpath)
    from ..cassettes.several import extra_paths

    # the markers' extra cassettes and the fixture's add up (the markers' are asked first)
    extras = [*extra_paths(marker_opts.get("extra_cassettes"))]
    extras += extra_paths(fixture_opts.get("extra_cassettes"))
    options["extra_cassettes"] = [_place(p, default, request.config.rootpath) for p in extras]
    return path, options


_RUN_OPTIONS = pytest.StashKey[tuple[dict[str, Any], dict[str, Any]]]()


def _run_options(config: pytest.Config) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ini file's options (the lowest layer) and the command line's (the highest): the same
    for every test of the run, so read once."""
    found = config.stash.get(_RUN_OPTIONS, None)
    if found is None:
        ini = {
            "record_mode": config.getini("bedrock_record_mode") or None,
            "exact_volatile": config.getini("bedrock_exact_volatile"),
        }
        cli = {
            "record_mode": config.getoption("--bedrock-record-mode"),
            "assert_all_played": config.getoption("--bedrock-assert-all-played"),
            "drop_unplayed": config.getoption("--bedrock-drop-unplayed"),
        }
        found = config.stash[_RUN_OPTIONS] = (ini, cli)
    return found


@pytest.fixture
def bedrock_record_mode(request: pytest.FixtureRequest) -> str:
    """The record mode this test's cassette uses, after applying precedence."""
    return str(_resolve(request)[1]["record_mode"])


@pytest.fixture
def bedrock_cassette_path(request: pytest.FixtureRequest) -> Path:
    """Where this test's cassette lives."""
    return _resolve(request)[0]


_RUN_ID = pytest.StashKey[str]()
_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """Note a test whose call failed (its cassette's ``drop_unplayed`` then drops nothing)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True


def _run_id(config: pytest.Config) -> str:
    """One id per pytest run, shared by every xdist worker of it (xdist's ``testrunuid``)."""
    if _RUN_ID not in config.stash:
        import uuid

        worker = getattr(config, "workerinput", None) or {}
        config.stash[_RUN_ID] = f"pytest run {worker.get('testrunuid') or uuid.uuid4().hex}"
    return config.stash[_RUN_ID]


@pytest.fixture
def bedrock_cassette(request: pytest.FixtureRequest) -> Iterator[Cassette]:
    """Activate this test's cassette: every bedrock-runtime client is answered from it."""
    active = request.node.stash.get(_CASSETTE, None)
    if active is not None:  # the marker's, activated by the autouse fixture
        yield active
        return
    yield from _cassette_lifecycle(request)


_CASSETTE = pytest.StashKey[Any]()
_MOCK = pytest.StashKey[Any]()


def _cassette_lifecycle(request: pytest.FixtureRequest) -> Generator[Cassette, None, None]:
    from ..intercept import settings as _config
    from ..intercept.player import CassettePlayer

    path, options = _resolve(request)
    settings = _config.build(options, "bedrock-vcr settings")
    settings.run = _run_id(request.config)  # a rewrite keeps every test of this run
    if (request.config.getoption("verbose", 0) or 0) >= 2:  # -vv: mismatches shown whole
        settings.match = dataclasses.replace(settings.match, full_diffs=True)
    player = CassettePlayer.open(path, settings)
    if _disabled(request.config):  # live: nothing is replayed, recorded or blocked
        yield player.cassette
        return
    from .replay_env import ReplayEnvironment

    # replay needs no credential: none of the machine's is read
    offline = contextlib.nullcontext() if player.cassette.records else ReplayEnvironment()
    with offline, player as cassette:
        yield cassette
        if request.node.stash.get(_FAILED, False):  # it played less than it meant to
            from ..intercept.player import keep_unplayed

            keep_unplayed(cassette)
    from .summary import count

    count(request.config, cassette)
    if settings.extra.get("assert_all_played") and cassette.unplayed:
        from ..errors import UnplayedInteractionsError

        raise UnplayedInteractionsError(cassette.path, cassette.unplayed)


def _disabled(config: pytest.Config) -> bool:
    return bool(
        config.getoption("--bedrock-disable") or config.getoption("disable_recording", False)
    )


@pytest.fixture(autouse=True)
def _bedrock_vcr(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test's one autouse fixture (each costs every test of a suite about 0.1 ms): the
    network blocked when asked, then the cassette and the mock its markers ask for."""
    node = request.node
    blocker = _blocker(request)
    marks = {mark.name for mark in node.iter_markers()}
    cassette = MARKER in marks
    mock = "bedrock_answer" in marks or "bedrock_mock" in marks
    if blocker is None and not cassette and not mock:
        yield
        return
    with contextlib.ExitStack() as stack:
        if blocker is not None:
            stack.enter_context(blocker)
        if cassette:
            activated = contextlib.contextmanager(_cassette_lifecycle)(request)
            node.stash[_CASSETTE] = stack.enter_context(activated)
        if mock:
            node.stash[_MOCK] = stack.enter_context(
                contextlib.contextmanager(_mock_lifecycle)(request)
            )
        try:
            yield
        finally:  # a session keeps every test item: they must not keep what a test used
            for key in (_CASSETTE, _MOCK):
                if key in node.stash:
                    del node.stash[key]


def _blocker(request: pytest.FixtureRequest) -> Any:
    """The network blocker this test asks for, or ``None``."""
    config = request.config
    wanted = config.getoption("--bedrock-block-network") or config.getoption("block_network", False)
    names = request.fixturenames
    if not wanted or "bedrock_cassette" in names or "bedrock_mock" in names:
        return None
    from ..intercept.blocker import NetworkBlocker

    hosts = str(config.getoption("--bedrock-allowed-hosts") or "").split(",")
    hosts += str(config.getoption("allowed_hosts", None) or "").split(",")
    return NetworkBlocker(hosts)


@pytest.fixture
def bedrock_schema(request: pytest.FixtureRequest) -> Any:
    """Schema assertions (``assert_valid_request/response/chunk``) using this test's settings
    (``model_families``, ``strict_models``)."""
    from ..validation.checks import SchemaAssertions

    return SchemaAssertions.from_options(_resolve(request)[1])


@pytest.fixture
def bedrock_mock(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Simulated Amazon Bedrock Runtime (a ``bedrock_vcr.BedrockMock``): declare routes with
    ``bedrock_mock.on(...)``; unused routes fail the test at teardown."""
    active = request.node.stash.get(_MOCK, None)
    if active is not None:  # the markers', started by the autouse fixture
        yield active
        return
    yield from _mock_lifecycle(request)


def _mock_lifecycle(request: pytest.FixtureRequest) -> Generator[Any, None, None]:
    from ..intercept.markers import from_markers
    from .replay_env import ReplayEnvironment

    mock = from_markers(request.node)
    # nothing reaches AWS, so no real credential is needed
    with contextlib.nullcontext() if mock.passthrough else ReplayEnvironment():
        mock.start()
        try:
            yield mock
        finally:
            mock.stop()


@pytest.fixture
def bedrock_server(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A live local Bedrock Runtime endpoint for this test (a ``bedrock_vcr.BedrockServer``:
    ``.url``), with ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` set to it, for subprocesses and other
    languages. It answers from the test's ``bedrock_mock`` routes, then its cassette (with the
    marker or the ``bedrock_cassette`` fixture); with neither, a default simulated answer."""
    from ..intercept import guard
    from ..server.http1 import BedrockServer
    from ..server.sources import CassetteSource

    node, names = request.node, request.fixturenames
    cassette = "bedrock_cassette" in names or node.get_closest_marker(MARKER) is not None
    mock = "bedrock_mock" in names or any(
        node.get_closest_marker(name) for name in ("bedrock_answer", "bedrock_mock")
    )
    sources: list[Any] = []
    if mock or not cassette:
        simulated = request.getfixturevalue("bedrock_mock")
        if not mock and not cassette:  # nothing declared: every request gets a default answer
            simulated.on(optional=True, name="bedrock_server default")
        sources.append(simulated)
    if cassette:
        sources.append(CassetteSource.of([request.getfixturevalue("bedrock_cassette")]))
    with BedrockServer(sources) as server, guard.own_server(server.url):
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
        yield server
