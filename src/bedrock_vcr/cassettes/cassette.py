"""A cassette in use: its interactions, the record mode, matching and saving.

This module knows nothing about botocore; :mod:`bedrock_vcr.intercept.clients` turns botocore
requests into :class:`RecordedRequest` and asks the cassette what to do with them. What only
saving or a mismatch report needs is imported where it runs: a replay-only process never loads it.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.operations import target_kind
from ..errors import (
    Candidate,
    CassetteNotFoundError,
    ConfigError,
    SecretRedactedWarning,
    UnmatchedRequestError,
)
from . import storage
from .matching import MatchConfig
from .modes import RecordMode
from .records import Interaction, RecordedRequest, RecordedResponse
from .redaction import KnownSecrets

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
    #: The recording run this cassette belongs to: a ``rewrite`` keeps what earlier saves of the
    #: same run wrote (the pytest plugin gives every test of a run, on every xdist worker, one
    #: id). ``None``: the cassette is a run of its own (a ``use_cassette`` block).
    run: str | None = None
    #: ``new_episodes``/``all``: a save leaves out what the cassette never played (README)
    drop_unplayed: bool = False
    #: write volatile values as they came, even for an unchanged answer (see :mod:`.stable`)
    exact_volatile: bool = False


class Cassette:
    """Interactions of one cassette file, indexed for constant-time lookup."""

    def __init__(self, path: Path | str, config: CassetteConfig | None = None) -> None:
        self.path = path if isinstance(path, Path) else Path(path)
        self.config = config or CassetteConfig()
        self.record_mode = RecordMode.parse(self.config.record_mode)
        self.existed = os.path.exists(self.path)
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
        from .calls import CallLog

        #: the requests this cassette was asked while active, with call assertions
        self.calls = CallLog[RecordedRequest](source=f"cassette {self.path}")
        self._pending: list[Callable[[], None]] = []
        #: ids of interactions in ``_new`` already written (a second save appends none twice)
        self._saved: set[int] = set()
        self._run = self.config.run or f"cassette {uuid.uuid4().hex}"
        #: the file as opened (recording modes): its hash, and for a rewrite its text (_merge_base)
        self._opened: str | None = None
        self._opened_text: str | None = None
        if self.existed and self._replaces_file:
            from . import merge

            text = self._opened_text = merge.read_lenient(self.path)
            self._opened = merge.digest(text) if text is not None else merge.fingerprint(self.path)
        #: credential values the recording clients hold: redacted when written and matched
        self.secrets = KnownSecrets()
        if self.existed and not self._replaces_file:
            for interaction in self._load():
                self._add(interaction)
            if self.record_mode in (RecordMode.NEW_EPISODES, RecordMode.ALL) and (
                storage.is_foreign(self.path)
            ):
                raise ConfigError(
                    f"{self.path} is a vcrpy cassette; recording into it in "
                    f"'{self.record_mode.value}' mode would rewrite it in bedrock-vcr's format "
                    "and drop its non-Bedrock interactions. Convert it first with "
                    "`bedrock-vcr import`, or replay it in mode 'none'/'once'."
                )

    def _load(self) -> list[Interaction]:
        if self.record_mode not in (RecordMode.NEW_EPISODES, RecordMode.ALL):
            return storage.load_file(self.path)
        # Read anew, not from the parsed-file cache: a save compares the file with these bytes
        from . import merge

        text = storage.read_text(self.path)
        self._opened = merge.digest(text)
        loaded = storage.interactions_from_text(text, self.path)
        storage.warn_cut_short(loaded, self.path)
        return loaded

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

    @property
    def unplayed(self) -> list[Interaction]:
        """Interactions of the file that no request has played (recorded ones excluded)."""
        new = {id(i) for i in self._new}
        return [
            x for n, x in enumerate(self.interactions) if n not in self._used and id(x) not in new
        ]

    # --- decisions -----------------------------------------------------------------------

    @property
    def _replaces_file(self) -> bool:  # a save drops what the file held before the run
        mode = self.record_mode
        return mode is RecordMode.REWRITE or (mode is RecordMode.ALL and self.config.drop_unplayed)

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
            from .candidates import closest

            reason = "matches no recorded interaction"
            candidates = closest(self.interactions, request, match)
        return UnmatchedRequestError(
            operation=request.operation,
            model_id=request.model_id,
            cassette=self.path,
            record_mode=self.record_mode.value,
            candidates=candidates,
            reason=reason,
            target_kind=target_kind(request.operation),
        )

    # --- recording -----------------------------------------------------------------------

    def recorded_form(self, request: RecordedRequest) -> RecordedRequest | None:
        """``request`` as it is written and matched: after ``before_record_request``, with the
        known credential values redacted (``self.secrets``; see :mod:`.redaction`).

        ``None`` when the hook drops it. The hook gets a copy; asked twice in a row about the
        same request object (find, then reserve), it runs once.
        """
        form = self._hook_form(request)
        return None if form is None else self.secrets.redact_request(form)

    def _hook_form(self, request: RecordedRequest) -> RecordedRequest | None:
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

        The slot holds the request as the hook leaves it; known credential values are redacted
        when the cassette is saved, with a warning naming where (:meth:`save`).
        """
        form = self._hook_form(request)
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
        """Write the cassette if something was recorded. Returns whether it wrote.

        The cassette's lock is held while the file on disk is read again, merged with this
        cassette's recordings (each written once, however often ``save`` runs) and replaced, so
        what another writer saved meanwhile (a process, a thread, an xdist worker) is kept; see
        :meth:`_merge_base` for what stays in each record mode.
        """
        self.finish_pending()
        with self._lock:
            new = [i for i in self._new if i.response is not None and id(i) not in self._saved]
        if not new and not (self.config.drop_unplayed and self.records and self.unplayed):
            return False
        from . import locking, secret_scan

        recorded = [i for i in new if id(i) not in self._dropped]
        with storage.locked(self.path) as target:
            base = self._merge_base(target)
            redacted: list[SecretRedactedWarning] = []  # warned once written (see clean)
            written = secret_scan.clean(base + recorded, self.secrets, self.path, redacted)
            if not self.config.exact_volatile:  # unchanged answers keep the file's values
                written[len(base) :] = self._settled(target, base, written[len(base) :])
            text = storage.dumps(written)
            if self._replaces_file:
                # first: should the write fail, the next save of this run keeps the old file
                # rather than dropping what this run wrote
                locking.write_note(target, "rewrite", self._run)
            storage.write_atomic(target, text)
        with self._lock:
            self._saved.update(id(i) for i in new)
        secret_scan.warn(redacted)
        return True

    def _merge_base(self, target: Path) -> list[Interaction]:
        """What stays of the file on disk (``target``, the lock held) before the new recordings.

        - ``once``, ``new_episodes``, ``all``: all of it, as it is now (what this cassette
          loaded, less what it never played under ``drop_unplayed``, and what others saved).
        - ``rewrite`` (and ``all`` under ``drop_unplayed``): what was on disk when this
          cassette opened is dropped; what any writer saved since is kept. Once a cassette of
          this run (``CassetteConfig.run``) has rewritten the file, every later save of the run
          keeps the whole file: the tests of a pytest run that share a cassette all end up in
          it, on every xdist worker.
        """
        from . import locking, merge, stable

        unchanged = merge.fingerprint(target) == self._opened
        if not self._replaces_file:
            dropped = self.unplayed if self.config.drop_unplayed else []
            if unchanged:
                return stable.subtract(merge.answered(self.interactions), dropped)
            if self.records and storage.is_foreign(target):
                raise ConfigError(
                    f"{target} became a vcrpy cassette while this test recorded into it; "
                    "writing would drop its non-Bedrock interactions. Convert it with "
                    "`bedrock-vcr import`, then record again."
                )
            return stable.subtract(merge.answered_on_disk(target), dropped)
        if locking.read_note(target, "rewrite") == self._run:
            return merge.answered_on_disk(target)
        return [] if unchanged else merge.saved_since(target, self._opened_text)

    def _settled(
        self, target: Path, base: list[Interaction], recorded: list[Interaction]
    ) -> list[Interaction]:
        """``recorded``, each unchanged answer swapped for the interaction of the file that this
        save leaves out and it repeats (see :mod:`.stable`)."""
        from . import merge, stable

        if self._replaces_file:
            before = merge.before_run(target, self._run, self._opened_text)
            opened = merge.parse_or_nothing(before, self.path)
        elif self.config.drop_unplayed:
            opened = self.interactions
        else:
            return recorded  # the save keeps the whole file
        return stable.settle(recorded, stable.subtract(merge.answered(opened), base))

    def all_played(self) -> bool:
        return len(self._used) == len(self.interactions)
