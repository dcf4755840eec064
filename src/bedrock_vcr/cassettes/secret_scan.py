"""The last checks before a cassette reaches the disk: no credential in it, in any field.

Cassettes are committed like source, so a leaked key or signature is a leak to everyone who can
read the repository. Two checks run on every cassette a recording writes (:func:`clean`):

- the exact credential values the recording client holds are replaced by ``<redacted:NAME>``
  wherever they are, a stream's text joined across its chunks included
  (:mod:`.redaction`), with a :class:`~bedrock_vcr.errors.SecretRedactedWarning` naming where;
- secret-shaped text that is no known value (an access key id, a SigV4 signature or
  ``Authorization`` value, a security token, a bearer token or Bedrock API key) is refused with
  :class:`~bedrock_vcr.errors.SecretInCassetteError` naming every place it is, in every field
  and in each stream's joined text, and nothing is written.

The final YAML text is scanned again whatever wrote it (a recording, a scrub, a vcrpy import:
:func:`refuse_secrets`), which is why this is its own module and not part of the format.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import SecretInCassetteError, SecretRedactedWarning
from .flat_texts import flat
from .records import Interaction
from .redaction import KnownSecrets, placeholder, redact_all
from .text_fields import (
    NAME,
    Texts,
    collect,
    event_range,
    render,
    spanned,
    stream_pieces,
)

# YAML folds a long string at a space: a plain or single-quoted scalar continues on the next line,
# a double-quoted one ends the line with ``\`` and resumes with ``\ ``. Only a pattern spanning
# a space can be split that way, so only the bearer pattern allows for it.
_FOLD = r"(?:\s|\\)+"
_BASE64 = r"[A-Za-z0-9+/]"
#: Each pattern, what it finds, and the text it cannot match without (any one of them; matched
#: case-blind when the pattern is).
_SECRET_PATTERNS = [
    # Not \b: a key glued to letters ("arn-keyASIA...") has no word boundary before it.
    (
        r"(?<![A-Z0-9])(?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16}(?![A-Z0-9])",
        "an AWS access key id",
        ("AKIA", "ASIA", "AIDA", "AROA"),
    ),
    (r"AWS4-HMAC-SHA256", "a SigV4 Authorization value", ("AWS4-HMAC-SHA256",)),
    (r"Signature=[0-9a-f]{64}", "a SigV4 signature", ("Signature=",)),
    (r"(?i:x-amz-security-token)", "an X-Amz-Security-Token header", ("x-amz-security-token",)),
    (r"(?i:\bauthorization\b)[ \t]*:", "an Authorization header", ("authorization",)),
    # The token is a whole run of token characters, not followed by ':' (not the next YAML key).
    (
        rf"(?i:\bbearer){_FOLD}[A-Za-z0-9._~+/=-]{{16,}}(?![A-Za-z0-9._~+/=:-])",
        "a bearer token",
        ("bearer",),
    ),
    (r"(?i:x-amz-date)[ \t]*:", "an X-Amz-Date header", ("x-amz-date",)),
    # Bedrock API keys: long-term ones start ABSK, short-term ones bedrock-api-key-.
    (
        rf"(?<!{_BASE64})(?:ABSK|bedrock-api-key-){_BASE64}{{20,}}",
        "a Bedrock API key",
        ("ABSK", "bedrock-api-key-"),
    ),
]
_COMPILED = [
    (re.compile(pattern), what, needs, "(?i:" in pattern)
    for pattern, what, needs in _SECRET_PATTERNS
]
#: The four letters beyond ASCII that a case-blind pattern takes for ASCII ones (re's docs), and
#: which ``str.lower`` does not lower to them.
_ODD_CASES = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _candidates(text: str) -> list[tuple[re.Pattern[str], str]]:
    """The patterns whose text ``text`` holds. Searching for plain text runs at memory speed,
    the patterns (lookbehinds, case-blind words) at about a microsecond a character; most texts
    hold none of these words, and then no pattern runs."""
    lowered: str | None = None
    found = []
    for pattern, what, needs, blind in _COMPILED:
        haystack = text
        if blind:
            if lowered is None:
                odd = any(ch in text for ch in "\u0130\u0131\u017f\u212a")
                lowered = (text.translate(_ODD_CASES) if odd else text).lower()
            haystack = lowered
        if any(need in haystack for need in needs):
            found.append((pattern, what))
    return found


def _matches(text: str) -> Iterator[tuple[int, int, str]]:
    """Start, end and kind of every secret-shaped run in ``text``."""
    for pattern, what in _candidates(text):
        for found in pattern.finditer(text):
            yield found.start(), found.end(), what


def find_secrets(text: str) -> list[tuple[int, str]]:
    """Lines (1-based) of ``text`` that look like they hold a credential, and what they hold.

    The whole text is scanned, not line by line, so that a bearer token YAML folded onto the line
    after the word ``Bearer`` is still found; a hit is reported at the line where it starts.
    """
    return sorted({(text.count("\n", 0, start) + 1, what) for start, _, what in _matches(text)})


_FIX = (
    "remove the secret with a before_record_request/before_record_response hook (README section "
    "'Secrets'), or report a bedrock-vcr bug if a header leaked"
)


def refuse_secrets(text: str, path: Path) -> None:
    """Raise :class:`SecretInCassetteError` if ``text`` (bound for ``path``) holds a credential,
    naming every line."""
    hits = [f"line {n} ({what})" for n, what in find_secrets(text)]
    if hits:
        raise SecretInCassetteError(
            f"refusing to write a cassette that holds credentials: {', '.join(hits)}; "
            "nothing was written",
            path=path,
            fix=_FIX,
            locations=hits,
        )


# --- interactions ----------------------------------------------------------------------------


def _scan(texts: Texts) -> list[str]:
    """Where ``texts`` (one interaction's: see :func:`~.text_fields.collect`) hold
    secret-shaped text: each field, then each stream's joined texts."""
    hits: list[str] = []
    # a name is followed by ':' in the file, as the header patterns expect
    shown = [text + ":" if place[-1] is NAME else text for place, text in texts]
    # No pattern matches across a NUL, so one search over all the texts joined by NULs says
    # whether any text holds a match: most interactions hold none, and then the texts are not
    # searched one by one (an interaction of a stream holds thousands of short texts).
    if any(True for _ in _matches("\0".join(shown))):
        for (place, _), text in zip(texts, shown, strict=True):
            for _, _, what in _matches(text):
                hits.append(f"{render(place)} ({what})")
    groups = {
        place: ("".join(text for _, _, text in pieces), pieces)
        for place, pieces in stream_pieces(texts).items()
        if len(pieces) >= 2
    }
    if not any(True for _ in _matches("\0".join(joined for joined, _ in groups.values()))):
        groups = {}  # each group's texts joined, the groups apart: as searched below
    for place, (_, pieces) in groups.items():
        parts = [text for _, _, text in pieces]
        for start, end, what in _matches("".join(parts)):
            first, last = spanned(parts, start, end)
            if first != last:  # else one piece holds it all: reported above
                a, b = pieces[first][0], pieces[last][0]
                hits.append(f"{event_range(place, a, b)} ({what}, split across chunks {a}-{b})")
    return list(dict.fromkeys(hits))


def scan_interactions(interactions: Sequence[Interaction]) -> list[str]:
    """Every place in ``interactions`` that holds secret-shaped text, as
    ``interaction 2, #/response/stream/0-4/chunk/json/generation (an AWS access key id, split
    across chunks 0-4)``."""
    return [
        f"interaction {index}, {hit}"
        for index, interaction in enumerate(interactions)
        for hit in _scan(collect(interaction)[1])
    ]


def _clear(interaction: Interaction, secrets: KnownSecrets) -> bool:
    """Whether ``interaction`` surely holds no known value and nothing secret-shaped, from its
    texts without places (:mod:`.flat_texts`): then neither redaction nor the scan below would
    find anything in it."""
    try:
        texts, joined = flat(interaction)
    except RecursionError:
        return False
    # no pattern matches across a NUL: one search over the texts joined by NULs is a search of
    # each, and the same for the stream's joined texts (the pieces of each group run together)
    return not (
        secrets.found_in(texts)
        or secrets.found_in(joined)
        or _candidates("\0".join(texts))
        or _candidates("\0".join(joined))
    )


def clean(
    interactions: Sequence[Interaction],
    secrets: KnownSecrets,
    path: Path,
    report: list[SecretRedactedWarning] | None = None,
) -> list[Interaction]:
    """The interactions to write to ``path``: known credential values redacted, with a
    :class:`SecretRedactedWarning` naming where (appended to ``report`` when given, for the
    caller to emit with :func:`warn` once the file is written; emitted here otherwise), or
    :class:`SecretInCassetteError` naming every place that still holds secret-shaped text
    (nothing is then written)."""
    out = list(interactions)
    suspects = [i for i, interaction in enumerate(out) if not _clear(interaction, secrets)]
    redone, texts, redacted = redact_all([out[i] for i in suspects], secrets, suspects)
    for i, interaction in zip(suspects, redone, strict=True):
        out[i] = interaction
    hits = [
        f"interaction {i}, {hit}"
        for i, held in zip(suspects, texts, strict=True)
        for hit in _scan(held)
    ]
    if hits:
        listed = "".join(f"\n    {hit}" for hit in hits)
        raise SecretInCassetteError(
            f"refusing to write a cassette that holds secret-shaped text that is no credential "
            f"the recording client holds, at {len(hits)} place(s):{listed}\n"
            "nothing was written (the cassette on disk, if any, is unchanged)",
            path=path,
            fix=_FIX,
            locations=hits,
        )
    if redacted:
        names = ", ".join(sorted({r.name for r in redacted}))
        listed = "".join(f"\n    {r}" for r in redacted)
        warning = SecretRedactedWarning(
            f"the recording client's {names} appeared in what was recorded; the cassette "
            f"{path} holds {placeholder('NAME')} in its place, at:{listed}\n"
            "It replays: requests are matched with the same values redacted. Keep "
            "credentials out of prompts, or silence this warning with "
            "filterwarnings('ignore', category=SecretRedactedWarning).",
            path=path,
            locations=[str(r) for r in redacted],
        )
        if report is None:
            warn([warning])
        else:
            report.append(warning)
    return out


def warn(report: Sequence[SecretRedactedWarning]) -> None:
    """Emit the warnings :func:`clean` reported (after the cassette is written: a warning made
    an error by a filter then fails the test without costing the recording)."""
    for warning in report:
        warnings.warn(warning, stacklevel=4)
