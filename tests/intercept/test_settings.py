"""Settings: names are checked, sources override in one order, and the result is a config."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr import CassetteConfig, ConfigError, RecordMode, use_cassette
from bedrock_vcr.cassettes.matching import DEFAULT_MATCH_ON
from bedrock_vcr.intercept import settings


def test_merge_takes_layers_lowest_first_and_none_leaves_a_value_unset() -> None:
    ini = {"record_mode": "once", "replay_speed": 0.5}
    fixture = {"record_mode": "new_episodes", "ignore_body_keys": ("seed",)}
    marker = {"record_mode": None, "replay_speed": 2.0}  # None: the marker does not say
    cli = {"record_mode": "all"}
    merged = settings.merge(ini, fixture, marker, cli)
    assert merged["record_mode"] == "all"
    assert merged["replay_speed"] == 2.0
    assert merged["ignore_body_keys"] == ("seed",)
    assert settings.merge(ini, fixture, marker, {"record_mode": None})["record_mode"] == (
        "new_episodes"
    )


def test_merge_starts_from_the_defaults_and_does_not_change_them() -> None:
    merged = settings.merge(None, {})
    assert merged == settings.DEFAULTS
    merged["record_mode"] = "all"
    assert settings.DEFAULTS["record_mode"] == "none"
    assert settings.OPTIONS == frozenset(settings.DEFAULTS)


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("record_mod", "did you mean 'record_mode'?"),
        ("replay_sped", "did you mean 'replay_speed'?"),
        ("ignore_body_key", "did you mean 'ignore_body_keys'?"),
    ],
)
def test_a_misspelled_option_names_the_closest_one(name: str, hint: str) -> None:
    expected = re.escape(f"unknown option '{name}' in the fixture ({hint}); valid options: ")
    with pytest.raises(ConfigError, match=expected):
        settings.check_names({name: 1}, "the fixture")


def test_an_option_like_nothing_gets_no_suggestion_but_the_valid_list() -> None:
    with pytest.raises(ConfigError) as info:
        settings.check_names({"zzzz": 1}, "use_cassette()")
    message = str(info.value)
    assert "did you mean" not in message
    assert message.startswith("unknown option 'zzzz' in use_cassette(); valid options: ")
    assert message.endswith(", ".join(sorted(settings.OPTIONS)))


def test_extra_names_are_valid_where_a_source_allows_them() -> None:
    settings.check_names({"path": "x.yaml"}, "the fixture", extra=frozenset({"path"}))
    with pytest.raises(ConfigError, match=r"\(did you mean 'path'\?\)"):
        settings.check_names({"pth": "x.yaml"}, "the fixture", extra=frozenset({"path"}))


def test_build_gives_the_defaults_a_cassette_config() -> None:
    config = settings.build({})
    assert isinstance(config, CassetteConfig)
    assert config.record_mode is RecordMode.NONE
    assert config.match.match_on == DEFAULT_MATCH_ON
    assert config.match.ignore_body_keys == ()
    assert (config.allow_playback_repeats, config.replay_speed) == (False, 0.0)
    assert config.extra == {
        "require_json_body": True,
        "skip_backoff": False,
        "assert_all_played": False,
        "validate_requests": "bedrock",
        "validate_responses": "warn",
        "strict_models": False,
        "model_families": {},
        "extra_cassettes": (),
    }


def test_build_takes_a_single_string_for_a_list() -> None:
    config = settings.build({"match_on": "body", "ignore_body_keys": "seed"})
    assert config.match.match_on == ("body",)
    assert config.match.ignore_body_keys == ("seed",)


def test_build_normalises_what_it_keeps() -> None:
    def hook(x: Any) -> Any:
        return x

    config = settings.build(
        {
            "record_mode": " Once ",
            "replay_speed": 1,
            "allow_playback_repeats": 1,
            "skip_backoff": "yes",
            "require_json_body": 0,
            "before_record_request": hook,
        }
    )
    assert config.record_mode is RecordMode.ONCE
    assert config.replay_speed == 1.0 and isinstance(config.replay_speed, float)
    assert config.allow_playback_repeats is True
    assert config.extra["skip_backoff"] is True
    assert config.extra["require_json_body"] is False
    assert config.before_record_request is hook


@pytest.mark.parametrize("speed", [-1, "fast", None])
def test_a_bad_replay_speed_is_refused(speed: Any) -> None:
    if speed is None:  # None means "unset": the default applies
        assert settings.build({"replay_speed": speed}).replay_speed == 0.0
        return
    with pytest.raises(ConfigError, match=r"replay_speed must be a number >= 0"):
        settings.build({"replay_speed": speed})


def test_build_refuses_an_unknown_option_and_record_mode() -> None:
    with pytest.raises(ConfigError, match=r"unknown option 'recordmode' in use_cassette\(\)"):
        settings.build({"recordmode": "once"}, "use_cassette()")
    with pytest.raises(ConfigError, match=r"unknown record mode 'onse'; valid modes: none, once"):
        settings.build({"record_mode": "onse"})


def test_use_cassette_checks_its_options_when_it_is_made(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"in use_cassette\(\) \(did you mean 'skip_backoff'\?\)"):
        use_cassette(tmp_path / "c.yaml", skip_backof=True)
    made = use_cassette(tmp_path / "c.yaml", record_mode="once", ignore_body_keys="seed")
    assert made.config.record_mode is RecordMode.ONCE
    assert made.config.match.ignore_body_keys == ("seed",)
