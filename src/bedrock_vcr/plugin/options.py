"""The plugin's command-line options, ini keys and markers: what ``pytest --help`` lists.

Loaded with the plugin at start-up, so it imports nothing of the engine.
"""

from __future__ import annotations

import pytest

from ..cassettes.modes import MODE_NAMES

MARKER = "bedrock_cassette"


def add_options(parser: pytest.Parser) -> None:
    """The command-line options and ini keys (README "Settings and precedence")."""
    group = parser.getgroup("bedrock-vcr", "record and replay Amazon Bedrock Runtime calls")
    group.addoption(
        "--bedrock-record-mode",
        action="store",
        default=None,
        choices=MODE_NAMES,
        help="record mode for bedrock cassettes (default: ini bedrock_record_mode, else none: "
        "replay only)",
    )
    group.addoption(
        "--bedrock-assert-all-played",
        action="store_true",
        default=None,
        help="fail a test whose cassette holds interactions it never played "
        "(the assert_all_played setting)",
    )
    group.addoption(
        "--bedrock-drop-unplayed",
        action="store_true",
        default=None,
        help="re-recording (new_episodes, all): leave out of each cassette the interactions "
        "its test never played (the drop_unplayed setting)",
    )
    group.addoption(
        "--bedrock-block-network",
        action="store_true",
        default=False,
        help="refuse every Bedrock Runtime request that no cassette or mock answers, in tests "
        "without one too (pytest-recording's --block-network turns this on as well)",
    )
    group.addoption(
        "--bedrock-allowed-hosts",
        default="",
        help="comma-separated hosts that --bedrock-block-network lets through (e.g. 127.0.0.1)",
    )
    group.addoption(
        "--bedrock-disable",
        action="store_true",
        default=False,
        help="turn bedrock cassettes off: marked tests call the real service "
        "(pytest-recording's --disable-recording does the same)",
    )
    _add_ini(parser)


def _add_ini(parser: pytest.Parser) -> None:
    parser.addini(
        "bedrock_record_mode",
        "default record mode for bedrock cassettes (none, once, new_episodes, all, rewrite)",
        default="",
    )
    parser.addini(
        "bedrock_cassette_dir",
        "folder of bedrock cassettes, relative to the rootdir (default: a cassettes/ folder "
        "beside each test file)",
        default="",
    )
    parser.addini(
        "bedrock_exact_volatile",
        "write volatile values (date, request id, timings) of every recording as they came, "
        "even for an unchanged answer (the exact_volatile setting; default false)",
        type="bool",
        default=None,
    )


def add_markers(config: pytest.Config) -> None:
    """Register the markers, so ``--strict-markers`` accepts them."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(name=None, *extra_cassettes, path=None, **options): replay (or record) "
        "this test's Amazon Bedrock Runtime calls from a cassette (and replay from the extra "
        "cassettes too); options as in bedrock_vcr.use_cassette",
    )
    config.addinivalue_line(
        "markers",
        "bedrock_answer(*outcomes, model_id=None, operation=None, match=None, optional=False, "
        "name=None): simulate Amazon Bedrock Runtime for this test with a bedrock_mock route "
        "answering these outcomes (one: every call; several: one per call)",
    )
    config.addinivalue_line(
        "markers",
        "bedrock_mock(**options): options of this test's bedrock_mock fixture "
        "(assert_all_called, passthrough, speed, skip_backoff, overrides)",
    )
