"""Known credential values kept out of cassettes: each is written as ``<redacted:NAME>``.

The recorder tells a cassette the exact values the recording client holds (its access key id,
secret access key, session token and Bedrock API key: see
:mod:`bedrock_vcr.intercept.credentials`). Before the cassette is written, every text it would
hold (:mod:`.text_fields`) is searched for those values, as they are and percent-encoded (a
path), and each is replaced by a visible placeholder. A stream's text is also searched joined
across its events, so that a value the model streamed four characters per chunk is found: the
first chunk it starts in gets the placeholder, the later chunks lose their share of it.

Requests are matched in the same redacted form (see ``Cassette.recorded_form``): a replayed
request still holds the real value and finds the recording that holds the placeholder. Values
shorter than :data:`MIN_SECRET_LENGTH` are ignored: no AWS credential is that short (an access
key id has at least 16 characters, a secret key 40), and test placeholders such as ``testing``
would otherwise be redacted from every prompt that says "testing".
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import NamedTuple
from urllib.parse import quote

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from .records import Interaction, RecordedRequest
from .text_fields import (
    Place,
    Texts,
    collect,
    edit_stream,
    event_range,
    map_request,
    render,
    spanned,
    stream_pieces,
)

MIN_SECRET_LENGTH = 16


def placeholder(name: str) -> str:
    """What a redacted value of credential ``name`` is written as: ``<redacted:name>``."""
    return f"<redacted:{name}>"


class Redacted(NamedTuple):
    """One place where a known value was replaced (the value itself is never kept)."""

    where: str  # "interaction 3, #/response/body/json/generation"
    name: str  # "aws_secret_access_key"
    chunks: str | None = None  # "0-4" when the value was split across those stream events

    def __str__(self) -> str:
        split = f", split across chunks {self.chunks}" if self.chunks else ""
        return f"{self.where} ({self.name}{split})"


@functools.lru_cache(maxsize=256)
def _written_forms(value: str) -> tuple[str, str, str]:
    # every test's cassette learns the same few values: their quoted forms are made once
    return value, quote(value, safe=""), quote(value, safe="/")


class KnownSecrets:
    """Exact credential values to keep out of one cassette, each with its name.

    Safe to share between threads: values are added while requests are answered, and read
    while the cassette is saved.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}
        #: every written form of every value, with its name, longest first
        self._forms: tuple[tuple[str, str], ...] = ()

    def add(self, name: str, value: object) -> None:
        """Keep ``value`` (credential ``name``) out of the cassette; short values are ignored."""
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH or value in self._names:
            return  # (known already: every request of a test carries the same values)
        with self._lock:
            if value in self._names:
                return
            self._names[value] = name
            forms: dict[str, str] = {}
            for known, known_name in self._names.items():
                for form in _written_forms(known):
                    forms.setdefault(form, known_name)
            self._forms = tuple(sorted(forms.items(), key=lambda item: -len(item[0])))

    def __bool__(self) -> bool:
        return bool(self._forms)

    @property
    def names(self) -> list[str]:
        """The names of the values kept out (never the values)."""
        return sorted(set(self._names.values()))

    def found_in(self, texts: Sequence[str]) -> bool:
        """Whether any known value is in any of ``texts``."""
        return any(form in text for form, _ in self._forms for text in texts)

    def replace(self, text: str) -> tuple[str, list[str]]:
        """``text`` with every known value replaced, and the names of the values it held."""
        found = []
        for form, name in self._forms:
            if form in text:
                text = text.replace(form, placeholder(name))
                found.append(name)
        return text, found

    def redact_request(self, request: RecordedRequest) -> RecordedRequest:
        """``request`` as it is written and matched; the same object when it holds no value."""
        if not self._forms or not self._may_hold(request):
            return request
        return map_request(request, lambda _, text: self.replace(text)[0])

    def _may_hold(self, request: RecordedRequest) -> bool:
        """Whether a known value may be among ``request``'s texts, from its raw parts: a body
        without escapes holds each of its JSON strings as it is (one with an escape, or that
        is not UTF-8, is looked at text by text)."""
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            return True
        if "\\" in body:
            return True
        headers = request.headers
        return self.found_in(
            [request.model_id, request.path or "", body, *headers, *headers.values()]
        )

    def redact(self, interaction: Interaction) -> tuple[Interaction, Texts, list[Redacted]]:
        """``interaction`` with every known value replaced, every text it then holds (see
        :func:`~.text_fields.collect`), and where each value was (``where`` is a place in the
        interaction: ``#/response/body/json/generation``)."""
        if not self._forms:
            return (*collect(interaction), [])
        found: list[Redacted] = []

        def redact_text(place: Place, text: str) -> str:
            new, names = self.replace(text)
            found.extend(Redacted(render(place), name) for name in names)
            return new

        result, texts = collect(interaction, redact_text)
        edits = self._redact_split(texts, found)
        if edits:
            result = edit_stream(result, edits)
            texts = [(place, edits.get(place, text)) for place, text in texts]
        return result, texts, found

    def _redact_split(self, texts: Texts, found: list[Redacted]) -> dict[Place, str]:
        """The stream texts to change for values whose characters are spread over several
        events (no piece alone is the value, so the field-by-field pass kept them)."""
        edits: dict[Place, str] = {}
        for place, pieces in stream_pieces(texts).items():
            if len(pieces) < 2:
                continue
            parts = [text for _, _, text in pieces]
            for _ in range(len(parts)):  # each pass removes one value spanning pieces
                hit = self._spanning(parts)
                if hit is None:
                    break
                first, last, name = hit
                a, b = pieces[first][0], pieces[last][0]
                found.append(Redacted(event_range(place, a, b), name, f"{a}-{b}"))
            for (_, where, old), new in zip(pieces, parts, strict=True):
                if new != old:
                    edits[where] = new
        return edits

    def _spanning(self, texts: list[str]) -> tuple[int, int, str] | None:
        """Replace the first known value that spans several of ``texts`` (in place): the first
        piece gets the placeholder, the others lose their share. Returns which pieces, and the
        value's name."""
        joined = "".join(texts)
        for form, name in self._forms:
            start = joined.find(form)
            while start != -1:
                end = start + len(form)
                first, last = spanned(texts, start, end)
                if first != last:
                    _cut(texts, first, last, start, end, placeholder(name))
                    return first, last, name
                start = joined.find(form, start + 1)
        return None


def _cut(texts: list[str], first: int, last: int, start: int, end: int, mark: str) -> None:
    offsets = [0]
    for text in texts:
        offsets.append(offsets[-1] + len(text))
    texts[first] = texts[first][: start - offsets[first]] + mark
    for middle in range(first + 1, last):
        texts[middle] = ""
    texts[last] = texts[last][end - offsets[last] :]


def redact_all(
    interactions: Sequence[Interaction],
    secrets: KnownSecrets,
    numbers: Sequence[int] | None = None,
) -> tuple[list[Interaction], list[Texts], list[Redacted]]:
    """Every interaction redacted, the texts each then holds, and where each value was
    (``interaction 3, #/...``; ``numbers`` are the interactions' numbers, else 0, 1, ...)."""
    out: list[Interaction] = []
    all_texts: list[Texts] = []
    found: list[Redacted] = []
    for index, interaction in zip(numbers or range(len(interactions)), interactions, strict=True):
        redacted, texts, where = secrets.redact(interaction)
        out.append(redacted)
        all_texts.append(texts)
        found += [r._replace(where=f"interaction {index}, {r.where}") for r in where]
    return out, all_texts, found
