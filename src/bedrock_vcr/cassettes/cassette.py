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
from pathlib import Path
from typing import Any

from ..errors import Candidate, CassetteNotFoundError, ConfigError, UnmatchedRequestError
from . import storage, vcrpy, yaml_format
from .matching import MatchConfig
from .modes import RecordMode
from .records import Interaction, RecordedRequest, RecordedResponse

#: Recording hooks edit (or drop, with ``None``) what is written. The request hook also runs on
#: every request before it is matched, so a request finds what was written for it; each hook gets
#: a copy, never the caller's object.
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
        #: ids of interactions in ``_new`` a hook dropped (they stay in ``_new``: ids stay unique)
        self._dropped: set[int] = set()
        #: the last request given to the request hook and the form it gave (see recorded_form)
        self._hooked: tuple[RecordedRequest, RecordedRequest | None] | None = None
        self._lock = threading.RLock()
        self._pending: list[Callable[[], None]] = []
        if self.existed and self.record_mode is not RecordMode.REWRITE:
            for interaction in storage.load_file(self.path):
                self._add(interaction)
            if self.record_mode in (RecordMode.NEW_EPISODES, RecordMode.ALL) and (
                vcrpy.file_is_vcrpy(self.path)
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
        hooked = self.recorded_form(request)
        if hooked is None:
            return None  # a request the hook drops is never written, so never found
        request = hooked
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
        hooked = self.recorded_form(request)
        request = request if hooked is None else hooked
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

    def recorded_form(self, request: RecordedRequest) -> RecordedRequest | None:
        """``request`` as it is written and matched: after ``before_record_request``.

        ``None`` when the hook drops it. The hook gets a copy; asked twice in a row about the
        same request object (find, then reserve), it runs once.
        """
        hook = self.config.before_record_request
        if hook is None:
            return request
        last = self._hooked
        if last is not None and last[0] is request:
            return last[1]
        changed = hook(request.copy())
        # copied again so that a `json` parsed before the hook rewrote the body is not kept
        form = None if changed is None else changed.copy()
        self._hooked = (request, form)
        return form

    def reserve(self, request: RecordedRequest) -> Interaction:
        """Claim a slot for a request about to be recorded (keeps request order).

        The slot holds the request as it will be written (:meth:`recorded_form`).
        """
        form = self.recorded_form(request)
        interaction = Interaction(request=request if form is None else form)
        with self._lock:
            self._new.append(interaction)
            if form is None:
                self._dropped.add(id(interaction))
        return interaction

    def complete(self, interaction: Interaction, response: RecordedResponse) -> None:
        """Fill the slot with ``response`` as it will be written (``before_record_response``)."""
        hook = self.config.before_record_response
        if hook is not None and id(interaction) not in self._dropped:
            changed = hook(response.copy())
            if changed is None:
                with self._lock:
                    self._dropped.add(id(interaction))
            else:
                response = changed
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
        recorded = [i for i in new if id(i) not in self._dropped]
        base = (
            []
            if self.record_mode is RecordMode.REWRITE
            else [i for i in self.interactions if i.response is not None]
        )
        storage.write_atomic(self.path, yaml_format.dumps(base + recorded))
        return True

    def all_played(self) -> bool:
        return len(self._used) == len(self.interactions)
