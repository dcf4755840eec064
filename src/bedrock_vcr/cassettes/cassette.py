"""A cassette in use: its interactions, the record mode, matching and saving.

This module knows nothing about botocore; :mod:`bedrock_vcr.intercept.clients` turns botocore
requests into :class:`RecordedRequest` and asks the cassette what to do with them.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

from ..errors import Candidate, CassetteNotFoundError, ConfigError, UnmatchedRequestError
from . import yaml_format as serialize
from .matching import MatchConfig
from .records import Interaction, RecordedRequest, RecordedResponse


class RecordMode(str, Enum):
    """When requests go to the network and get recorded (vcrpy's vocabulary).

    - ``none``: replay only; an unrecorded request fails and nothing reaches the network.
    - ``once``: record if the cassette file does not exist yet, otherwise behave like ``none``.
    - ``new_episodes``: replay what matches, record what does not and append it.
    - ``all``: record every request (never replay); new interactions are appended.
    - ``rewrite``: record every request into a cassette that starts empty.
    """

    NONE = "none"
    ONCE = "once"
    NEW_EPISODES = "new_episodes"
    ALL = "all"
    REWRITE = "rewrite"

    @classmethod
    def parse(cls, value: RecordMode | str) -> RecordMode:
        if isinstance(value, RecordMode):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            valid = ", ".join(m.value for m in cls)
            raise ConfigError(f"unknown record mode {value!r}; valid modes: {valid}") from None


BeforeRecordRequest = Callable[[RecordedRequest], "RecordedRequest | None"]
BeforeRecordResponse = Callable[[RecordedResponse], "RecordedResponse | None"]


@dataclass
class CassetteConfig:
    """Everything that shapes how one cassette behaves."""

    record_mode: RecordMode = RecordMode.NONE
    match: MatchConfig = field(default_factory=MatchConfig)
    allow_playback_repeats: bool = False
    #: Replay pacing: 0 replays as fast as possible, 1.0 at the recorded speed, 2.0 half speed.
    replay_speed: float = 0.0
    before_record_request: BeforeRecordRequest | None = None
    before_record_response: BeforeRecordResponse | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Cassette:
    """Interactions of one cassette file, indexed for constant-time lookup."""

    def __init__(self, path: Path | str, config: CassetteConfig | None = None) -> None:
        self.path = Path(path)
        self.config = config or CassetteConfig()
        self.record_mode = RecordMode.parse(self.config.record_mode)
        self.existed = self.path.exists()
        self.interactions: list[Interaction] = []
        self._index: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        self._used: set[int] = set()
        self._skip: dict[tuple[Any, ...], int] = {}
        self._played: list[int] = []
        self._new: list[Interaction] = []
        self._lock = threading.RLock()
        self._pending: list[Callable[[], None]] = []
        if self.existed and self.record_mode is not RecordMode.REWRITE:
            for interaction in serialize.load_file(self.path):
                self._add(interaction)
            if self.record_mode in (RecordMode.NEW_EPISODES, RecordMode.ALL) and (
                serialize.file_is_vcrpy(self.path)
            ):
                raise ConfigError(
                    f"{self.path} is a vcrpy cassette; recording into it in "
                    f"'{self.record_mode.value}' mode would rewrite it in bedrock-vcr's format "
                    "and drop its non-Bedrock interactions. Convert it first with "
                    "`bedrock-vcr import`, or replay it in mode 'none'/'once'."
                )

    # --- indexing ------------------------------------------------------------------------

    def _add(self, interaction: Interaction) -> int:
        index = len(self.interactions)
        self.interactions.append(interaction)
        self._index[self.config.match.key(interaction.request)].append(index)
        return index

    @property
    def play_count(self) -> int:
        return len(self._played)

    @property
    def played(self) -> list[Interaction]:
        return [self.interactions[i] for i in self._played]

    @property
    def new_interactions(self) -> list[Interaction]:
        return list(self._new)

    # --- decisions -----------------------------------------------------------------------

    @property
    def records(self) -> bool:
        """Whether unmatched requests go to the network and get recorded."""
        mode = self.record_mode
        if mode is RecordMode.ONCE:
            return not self.existed
        return mode in (RecordMode.NEW_EPISODES, RecordMode.ALL, RecordMode.REWRITE)

    @property
    def replays(self) -> bool:
        return self.record_mode not in (RecordMode.ALL, RecordMode.REWRITE)

    def check_exists(self) -> None:
        if self.record_mode is RecordMode.NONE and not self.existed:
            raise CassetteNotFoundError(
                "the cassette does not exist and record mode 'none' only replays",
                path=self.path,
                fix="record it once with `pytest --bedrock-record-mode=once` (needs access to "
                "Bedrock or an endpoint_url), or fix the cassette name/path",
            )

    def find(self, request: RecordedRequest) -> Interaction | None:
        """The next unplayed recorded answer for ``request``, or ``None``."""
        if not self.replays:
            return None
        match = self.config.match
        key = match.key(request)
        with self._lock:
            bucket = self._index.get(key)
            if not bucket:
                return None
            # Answers before `start` are all used: identical requests cost O(1) each.
            start = self._skip.get(key, 0)
            for pos in range(start, len(bucket)):
                index = bucket[pos]
                recorded = self.interactions[index]
                if index in self._used or recorded.response is None:
                    continue
                if match.matcher is not None and not match.matcher(recorded.request, request):
                    continue
                self._used.add(index)
                self._played.append(index)
                while start < len(bucket) and bucket[start] in self._used:
                    start += 1
                self._skip[key] = start
                return recorded
            if self.config.allow_playback_repeats:
                for index in reversed(bucket):
                    recorded = self.interactions[index]
                    if recorded.response is None:
                        continue
                    if match.matcher is None or match.matcher(recorded.request, request):
                        self._played.append(index)
                        return recorded
        return None

    def unmatched(self, request: RecordedRequest) -> UnmatchedRequestError:
        """The error for a request that found no answer, naming the closest recordings."""
        match = self.config.match
        key = match.key(request)
        # Only recordings the request would have been given count as "already answered"; ones
        # the custom matcher rejects are explained below like any other near miss.
        bucket = [
            i
            for i in self._index.get(key, [])
            if self.interactions[i].response is not None
            and (match.matcher is None or match.matcher(self.interactions[i].request, request))
        ]
        if bucket and self.replays:
            reason = (
                f"was already answered by all {len(bucket)} matching recorded interaction(s); "
                "set allow_playback_repeats=True to replay them again"
            )
            candidates = [Candidate(i, request.operation, request.model_id) for i in bucket[:3]]
        else:
            reason = "matches no recorded interaction"
            scored = []
            for i, recorded in enumerate(self.interactions):
                diffs = match.differences(recorded.request, request)
                if match.matcher is not None and not diffs:
                    diffs = ["the custom matcher rejected it"]
                same_target = (recorded.request.operation == request.operation) + (
                    recorded.request.model_id == request.model_id
                )
                scored.append((-same_target, len(diffs), i, diffs))
            scored.sort()
            candidates = [
                Candidate(
                    i,
                    self.interactions[i].request.operation,
                    self.interactions[i].request.model_id,
                    tuple(diffs),
                )
                for _, _, i, diffs in scored[:3]
            ]
        return UnmatchedRequestError(
            operation=request.operation,
            model_id=request.model_id,
            cassette=self.path,
            record_mode=self.record_mode.value,
            candidates=candidates,
            reason=reason,
        )

    # --- recording -----------------------------------------------------------------------

    def reserve(self, request: RecordedRequest) -> Interaction:
        """Claim a slot for a request about to be recorded (keeps request order)."""
        interaction = Interaction(request=request)
        with self._lock:
            self._new.append(interaction)
        return interaction

    def complete(self, interaction: Interaction, response: RecordedResponse) -> None:
        interaction.response = response
        interaction.recorded_at = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def add_pending(self, finish: Callable[[], None]) -> None:
        """Register a stream still being recorded; ``finish`` drains it before saving."""
        with self._lock:
            self._pending.append(finish)

    def finish_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for finish in pending:
            finish()

    # --- saving --------------------------------------------------------------------------

    def save(self) -> bool:
        """Write the cassette if something was recorded. Returns whether it wrote."""
        self.finish_pending()
        new = [i for i in self._new if i.response is not None]
        if not new:
            return False
        hooks_applied = [self._apply_hooks(i) for i in new]
        recorded = [i for i in hooks_applied if i is not None]
        base = (
            []
            if self.record_mode is RecordMode.REWRITE
            else [i for i in self.interactions if i.response is not None]
        )
        serialize.write_atomic(self.path, serialize.dumps(base + recorded))
        return True

    def _apply_hooks(self, interaction: Interaction) -> Interaction | None:
        request: RecordedRequest | None = interaction.request
        response = interaction.response
        if self.config.before_record_request is not None:
            request = self.config.before_record_request(interaction.request)
        if request is None:
            return None
        if self.config.before_record_response is not None and response is not None:
            response = self.config.before_record_response(response)
        if response is None:
            return None
        return Interaction(request, response, interaction.recorded_at)

    def all_played(self) -> bool:
        return len(self._used) == len(self.interactions)
