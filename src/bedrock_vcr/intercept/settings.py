"""Settings: their names, their checks, and the order in which sources override each other.

Precedence, highest first (the same for every setting):

1. the command line (``--bedrock-record-mode``),
2. the ``bedrock_cassette`` marker's keyword arguments,
3. the ``bedrock_vcr_config`` fixture (a dict; override it in a conftest),
4. ini keys (``bedrock_record_mode`` in pytest.ini / pyproject's ``[tool.pytest.ini_options]``),
5. the defaults below (record mode ``none``: replay only).

The command line wins so that re-recording is always one flag away, whatever a test declares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..cassettes.cassette import CassetteConfig, RecordMode
from ..cassettes.matching import MatchConfig
from ..cassettes.records import RecordedRequest
from ..cassettes.several import extra_paths
from ..errors import ConfigError, did_you_mean

DEFAULTS: dict[str, Any] = {
    "record_mode": "none",
    "match_on": None,
    "ignore_body_keys": (),
    "matcher": None,
    "allow_playback_repeats": False,
    "replay_speed": 0.0,
    "before_record_request": None,
    "before_record_response": None,
    "require_json_body": True,
    "skip_backoff": False,
    # fail the test (at teardown) when recorded interactions were never played
    "assert_all_played": False,
    # re-recording: leave out what was not played; write volatile values exactly as recorded
    "drop_unplayed": False,
    "exact_volatile": False,
    # schema validation (bedrock_vcr.validation.checks): bedrock | fail | off, warn | fail | off
    "validate_requests": "bedrock",
    "validate_responses": "warn",
    "strict_models": False,
    "model_families": None,
    # read-only cassettes replayed after the test's own (see bedrock_vcr.cassettes.several)
    "extra_cassettes": (),
}
OPTIONS = frozenset(DEFAULTS)

# vcrpy / pytest-recording option names -> what to use instead
VCRPY_EQUIVALENTS = {
    "before_record": "before_record_request",
    "filter_headers": "nothing: only a safe list of request headers is ever written (README "
    "#secrets); drop more with before_record_request",
    "filter_query_parameters": "before_record_request",
    "filter_post_data_parameters": "ignore_body_keys (matching) and before_record_request "
    "(what is written)",
    "cassette_library_dir": "the bedrock_cassette_dir ini key, or path= in the marker",
    "path_transformer": "path= in the marker",
    "serializer": "nothing: cassettes are bedrock-vcr YAML; vcrpy files are read as they are",
    "decode_compressed_response": "nothing: bodies are stored decoded",
    "ignore_hosts": "nothing: only Bedrock Runtime calls are intercepted",
    "ignore_localhost": "nothing: only Bedrock Runtime calls are intercepted",
    "custom_patches": "nothing: every bedrock-runtime client is covered",
}


def check_names(
    options: Mapping[str, Any], source: str, extra: frozenset[str] = frozenset()
) -> None:
    """Fail loudly on a misspelled option, suggesting the closest valid name."""
    valid = OPTIONS | extra
    for name in options:
        if name in VCRPY_EQUIVALENTS and name not in valid:
            raise ConfigError(
                f"{name!r} in {source} is a vcrpy option; in bedrock-vcr use "
                f"{VCRPY_EQUIVALENTS[name]} (see the README section #settings-and-precedence)"
            )
        if name not in valid:
            raise ConfigError(
                f"unknown option {name!r} in {source}{did_you_mean(name, valid)}; valid options: "
                f"{', '.join(sorted(valid))}"
            )


def merge(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge option layers given from lowest to highest precedence; ``None`` values are unset."""
    out = dict(DEFAULTS)
    for layer in layers:
        for name, value in (layer or {}).items():
            if value is not None:
                out[name] = value
    return out


def build(options: Mapping[str, Any], source: str = "options") -> CassetteConfig:
    check_names(options, source)
    merged = merge(options)
    speed = merged["replay_speed"]
    if not isinstance(speed, (int, float)) or speed < 0:
        raise ConfigError(f"replay_speed must be a number >= 0 (0 = no pauses), got {speed!r}")
    ignore = merged["ignore_body_keys"]
    if isinstance(ignore, str):
        ignore = (ignore,)
    match_on = merged["match_on"]
    if isinstance(match_on, str):
        match_on = (match_on,)
    return CassetteConfig(
        record_mode=RecordMode.parse(merged["record_mode"]),
        match=MatchConfig.build(match_on, ignore, merged["matcher"]),
        allow_playback_repeats=bool(merged["allow_playback_repeats"]),
        replay_speed=float(speed),
        before_record_request=merged["before_record_request"],
        before_record_response=merged["before_record_response"],
        drop_unplayed=bool(merged["drop_unplayed"]),
        exact_volatile=bool(merged["exact_volatile"]),
        extra={
            "require_json_body": bool(merged["require_json_body"]),
            "skip_backoff": bool(merged["skip_backoff"]),
            "assert_all_played": bool(merged["assert_all_played"]),
            **_validation_options(merged),
            "extra_cassettes": tuple(extra_paths(merged["extra_cassettes"])),
        },
    )


def _validation_options(merged: Mapping[str, Any]) -> dict[str, Any]:
    from ..validation.settings import ValidationSettings  # lazy: importing bedrock_vcr stays light

    return ValidationSettings.parse(merged).as_options()


def _body_keys(data: Any, path: tuple[str, ...], names: set[str], paths: set[str]) -> None:
    """Collect every key name and dotted key path of a JSON body (as ``ignore_body_keys`` sees
    them: list items keep their parent's path)."""
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, str(key))
            names.add(str(key))
            paths.add(".".join(here))
            _body_keys(value, here, names, paths)
    elif isinstance(data, list):
        for item in data:
            _body_keys(item, path, names, paths)


def warn_unused_ignore_keys(
    ignore: Sequence[str], requests: Iterable[RecordedRequest], path: Path | str
) -> None:
    """Warn once (:class:`~bedrock_vcr.errors.UnusedIgnoreKeyWarning`) about ``ignore_body_keys``
    entries that name no key of any of ``requests`` (the cassette's recorded requests and those
    made while it was in use), with the closest key seen. Quiet when no JSON body was seen."""
    if not ignore:
        return
    names: set[str] = set()
    paths: set[str] = set()
    seen = False
    for request in requests:
        data = request.json
        if data is not None:
            seen = True
            _body_keys(data, (), names, paths)
    unused = [key for key in ignore if key not in names and key not in paths]
    if not seen or not unused:
        return
    import warnings

    from ..errors import UnusedIgnoreKeyWarning

    hints = "; ".join(f"{key!r}{did_you_mean(key, names | paths)}" for key in unused)
    warnings.warn(
        UnusedIgnoreKeyWarning(
            f"ignore_body_keys of the cassette {path}: {hints} named no key of any request body "
            "recorded or made, so it ignored nothing. Fix the spelling (a plain name ignores "
            "the key at any depth, a dotted path only there), or remove the entry.",
            keys=unused,
            path=path,
        ),
        stacklevel=3,
    )
