"""Hypothesis strategies of cassette documents: text that changes how YAML writes it, and
values of the kinds a recording writes."""

from __future__ import annotations

from hypothesis import strategies as st

from bedrock_vcr.cassettes.stream_text import StreamText

#: Characters that change how YAML writes text: indicators, quotes, spaces, breaks, resolvers'
#: first letters, escapes, and some beyond ASCII.
_TRICKY = list("ab :#-'\"\n?,[]{}&*!|>%@`.0123456789tTyYnN~=<\\\t\r") + [
    "\x85",
    "\u2028",
    "\ufeff",
    "\xe9",
    "\U0001f600",
    "\x00",
]
#: Words that make long text: folding happens at single spaces past column 100.
_WORDS = ["word", "a", " ", " ", " ", "  ", "x" * 30, ":", "#", "'", "-", "\n"]
#: Pieces whose order decides a style: indicators before or after a space, document markers.
_PIECES = ["-", " ", ":", "#", "?", "a", "'", "---", "...", "\n", "1", "true", "~", "x"]
#: Text just either side of a rule of the emitter's.
_EDGES = ["a #b", "a#b", "- a", "-a", "a:", "a: b", "a:b", "? a", "?a", ":a", "---a", "...a", "#a"]
TEXT = st.one_of(
    st.sampled_from(_EDGES),
    st.lists(st.sampled_from(_PIECES), min_size=1, max_size=6).map("".join),
    st.text(st.sampled_from(_TRICKY), max_size=40),
    st.lists(st.sampled_from(_WORDS), max_size=60).map("".join),
    st.text(max_size=80),
)
_SCALARS = st.one_of(
    TEXT,
    TEXT.map(StreamText),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
)
VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=24,
)


KEYS = st.sampled_from(["request", "body", "a", "x" * 30, "top_p", "k-v", "a:b", "-a", "?x"])
#: Values of the kinds a recording writes (most of them written directly).
_LINE = st.lists(
    st.sampled_from([p for p in _PIECES + _WORDS if p != "\n"]), min_size=1, max_size=40
)
USUAL = st.recursive(
    st.one_of(
        _LINE.map("".join),
        st.sampled_from(_EDGES),
        st.lists(_LINE.map("".join), min_size=2, max_size=5).map("\n".join),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.none(),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=12,
)


#: Interaction documents: any values, or the usual kinds (which are written directly).
items = st.dictionaries(TEXT, VALUES, min_size=1, max_size=5) | st.dictionaries(
    KEYS, USUAL, min_size=1
)
