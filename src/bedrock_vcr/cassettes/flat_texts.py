"""An interaction's texts without their places, for proving fast that it holds no secret.

:func:`~.text_fields.collect` names the place of every text it gives, so that a finding says
where it is; building those places is most of what saving a cassette of streams costs, and the
usual interaction holds nothing to find. :func:`flat` gives the same texts, each member name
followed by ``:`` as the secret scan reads names, and the same joined stream texts (each
:func:`~.text_fields.stream_pieces` group of two or more pieces, joined), without places. A
stream event's JSON without an escape stands for its names and strings as one text (each is a
piece of it, and the quotes between them are in no pattern and no credential). When neither a
known value nor a secret pattern's word is in them, none is in the interaction, and the places
are never built; otherwise the scan goes the way that names them.
"""

from __future__ import annotations

import json
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..wire.eventstream import HeaderType
from .records import Interaction
from .text_fields import chunk_parts

#: Place within an event (see text_fields: the event's index left out) -> its texts, in order.
_Groups = dict[tuple[Any, ...], list[str]]


def _json(value: Any, out: list[str]) -> None:
    """Like ``text_fields.map_json``: member names (with ``:``) and string values."""
    kind = type(value)
    if kind is str:
        out.append(value)
    elif kind is dict:
        for key, item in value.items():
            out.append(key + ":")
            if type(item) is str:
                out.append(item)  # the usual member, without a call
            elif item is not None and type(item) not in _SCALARS:  # numbers hold no text
                _json(item, out)
    elif kind is list:
        for item in value:
            _json(item, out)


#: JSON values that hold no text.
_SCALARS = frozenset({int, float, bool})


def _values(value: Any, where: tuple[Any, ...], groups: _Groups) -> None:
    """The string values of ``value`` added to their groups (names are not grouped)."""
    kind = type(value)
    if kind is str:
        if value:
            groups.setdefault(where, []).append(value)
    elif kind is dict:
        for key, item in value.items():
            if type(item) is str:
                if item:
                    groups.setdefault((*where, key), []).append(item)
            elif item is not None and type(item) not in _SCALARS:
                _values(item, (*where, key), groups)
    elif kind is list:
        for i, item in enumerate(value):
            _values(item, (*where, i), groups)


def _blob(data: bytes, out: list[str], where: tuple[Any, ...], groups: _Groups | None) -> None:
    """Like ``text_fields.map_blob``: a JSON body's texts, else the body as one text."""
    if not data:
        return
    try:
        text, kind = data.decode("utf-8"), "text"
    except UnicodeDecodeError:
        text, kind = data.decode("latin-1"), "base64"
    if kind == "text":
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:  # RecursionError: see flat()
            if groups is None or "\\" in text:
                _json(value, out)
            else:
                # without an escape, every name and string is a piece of the text, and no
                # secret pattern or known value can run from one into the next across the
                # quotes between them: the text stands for them all
                out.append(text)
            if groups is not None:
                _values(value, (*where, "json"), groups)
            return
    out.append(text)
    if groups is not None:
        groups.setdefault((*where, kind), []).append(text)


def _headers(headers: dict[str, str], out: list[str]) -> None:
    for name, value in headers.items():
        out.append(f"{name}:")
        out.append(value)


def flat(interaction: Interaction) -> tuple[list[str], list[str]]:
    """Every text of ``interaction`` (names with ``:``), and each stream text group joined.

    Raises :class:`RecursionError` for JSON nested too deeply to walk, which ``text_fields``
    takes as one text: the caller then goes the way that names places.
    """
    out: list[str] = []
    request = interaction.request
    out.append(request.model_id)
    if request.path:
        out.append(request.path)
    _headers(request.headers, out)
    _blob(request.body, out, (), None)
    response = interaction.response
    if response is None:
        return out, []
    _headers(response.headers, out)
    events = response.events
    if events is None:
        _blob(response.body, out, (), None)
        return out, []
    groups: list[_Groups] = []
    for event in events:
        mine: _Groups = {}
        for name, header in event.message.headers.items():
            out.append(f"{name}:")
            if header.type == HeaderType.STRING and isinstance(header.value, str):
                out.append(header.value)
        payload = event.message.payload
        parts = chunk_parts(payload)
        if parts is None:
            _blob(payload, out, ("payload",), mine)
        else:
            chunk, rest = parts
            _blob(chunk, out, ("chunk",), mine)
            if rest:  # the members beside `bytes` (Bedrock's padding `p`)
                _json(rest, out)
                _values(rest, ("payload", "json"), mine)
        groups.append(mine)
    joined: dict[tuple[Any, ...], list[str]] = {}
    for mine in groups:
        for where, texts in mine.items():
            joined.setdefault(where, []).extend(texts)
    return out, ["".join(texts) for texts in joined.values() if len(texts) >= 2]
