"""The last check before a cassette reaches the disk: no credentials in the text.

Cassettes are committed like source, so a leaked key or signature is a leak to everyone who can
read the repository. The scan runs on the final YAML text (whatever wrote it: a recording, a
scrub, a vcrpy import), which is why it is its own module and not part of the format.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import SecretInCassetteError

# YAML folds a long string at a space: a plain or single-quoted scalar continues on the next line,
# a double-quoted one ends the line with ``\`` and resumes with ``\ ``. Only a pattern spanning
# a space can be split that way, so only the bearer pattern allows for it.
_FOLD = r"(?:\s|\\)+"
_SECRET_PATTERNS = [
    (re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"AWS4-HMAC-SHA256"), "a SigV4 Authorization value"),
    (re.compile(r"Signature=[0-9a-f]{64}"), "a SigV4 signature"),
    (re.compile(r"(?i)x-amz-security-token"), "an X-Amz-Security-Token header"),
    (re.compile(r"(?i)\bauthorization\b[ \t]*:"), "an Authorization header"),
    # The token is a whole run of token characters, not followed by ':' (not the next YAML key).
    (
        re.compile(rf"(?i)\bbearer{_FOLD}[A-Za-z0-9._~+/=-]{{16,}}(?![A-Za-z0-9._~+/=:-])"),
        "a bearer token",
    ),
    (re.compile(r"(?i)x-amz-date[ \t]*:"), "an X-Amz-Date header"),
]


def find_secrets(text: str) -> list[tuple[int, str]]:
    """Lines (1-based) of ``text`` that look like they hold a credential, and what they hold.

    The whole text is scanned, not line by line, so that a bearer token YAML folded onto the line
    after the word ``Bearer`` is still found; a hit is reported at the line where it starts.
    """
    hits = set()
    for pattern, what in _SECRET_PATTERNS:
        for found in pattern.finditer(text):
            hits.add((text.count("\n", 0, found.start()) + 1, what))
    return sorted(hits)


def refuse_secrets(text: str, path: Path) -> None:
    """Raise :class:`SecretInCassetteError` if ``text`` (bound for ``path``) holds a credential."""
    hits = find_secrets(text)
    if hits:
        lines = ", ".join(f"line {n} ({what})" for n, what in hits[:5])
        raise SecretInCassetteError(
            f"refusing to write a cassette that holds credentials: {lines}; nothing was written",
            path=path,
            fix="remove the secret with a before_record_request/before_record_response hook "
            "(README section 'Secrets'), or report a bedrock-vcr bug if a header leaked",
        )
