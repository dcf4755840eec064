"""Reading an HTTP/1.1 request: the request line, the headers, and the body (``Content-Length``
or chunked), within the size limits.

Broken framing and oversized bodies are where clients and proxies differ most, so the rules live
in one place: every refusal is a Bedrock-shaped answer (:class:`BadRequest` carries it to the
connection in :mod:`~bedrock_vcr.server.http1`), never an exception that kills the connection.
The rules are those of the standard library's ``http.server`` (the same statuses for a broken
request line, a bad version, too long or too many headers). HTTP/2 bodies come framed by ``h2``
and need none of this.
"""

from __future__ import annotations

import re
from typing import Protocol

from ..cassettes.records import RecordedResponse, error_response
from ..errors import BedrockVCRError
from .transport import too_large, validation_error

_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
#: Longest request line or header line, and most header lines (``http.server``'s limits).
MAX_LINE = 65536
MAX_HEADERS = 100
#: A request head that ends within this many bytes, every line ended by CRLF, is parsed at once
#: (:func:`buffered_head`); any other goes line by line through :func:`read_headers`.
FAST_HEAD = 16384
#: :func:`buffered_head`'s answer for a head it leaves to the line-by-line reading.
SLOW = "slow"


class BadRequest(BedrockVCRError):
    """The request cannot be served: answer ``response`` (and hang up when ``close``).

    Control flow inside the HTTP/1.1 connection only; it never reaches a caller of the package.
    """

    def __init__(self, response: RecordedResponse, close: bool = True) -> None:
        self.response = response
        self.close = close


class Reader(Protocol):
    """The connection's buffered input (see :class:`~bedrock_vcr.server.http1.H1Connection`)."""

    async def readline(self, limit: int) -> bytes:
        """Up to and including the next ``\\n``, at most ``limit`` bytes; ``b""`` at the end."""

    async def read(self, size: int) -> bytes:
        """``size`` bytes, fewer only when the client ended the connection."""


def http_error(status: int, text: str) -> BadRequest:
    """A refusal of the HTTP layer itself (bad request line, huge headers...), Bedrock-shaped."""
    code = "UnknownOperationException" if status in (404, 405, 501) else "ValidationException"
    return BadRequest(error_response(status, code, text))


class Headers:
    """Request headers: case-insensitive, repeated names kept in order."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self.items = items
        #: lower-case name -> value (the last one of a repeated name), as the App gets them
        self.last = {name.lower(): value for name, value in items}
        self.repeats = len(self.last) != len(items)

    def get(self, name: str) -> str | None:
        return self.last.get(name.lower())

    def get_all(self, name: str) -> list[str]:
        lower = name.lower()
        if not self.repeats:
            value = self.last.get(lower)
            return [] if value is None else [value]
        return [value for key, value in self.items if key.lower() == lower]

    def __contains__(self, name: str) -> bool:
        return name.lower() in self.last


def parse_request_line(line: bytes) -> tuple[str, str, str]:
    """Method, target and version of a request line, or :class:`BadRequest`."""
    if len(line) > MAX_LINE:
        raise http_error(414, "Request-URI Too Long")
    text = line.decode("iso-8859-1").rstrip("\r\n")
    words = text.split()
    if len(words) == 3:
        method, target, version = words
        if not version.startswith("HTTP/"):
            raise http_error(400, f"Bad request version ({version!r})")
        try:
            major, minor = version[5:].split(".")
            number = (int(major), int(minor))
        except ValueError:
            raise http_error(400, f"Bad request version ({version!r})") from None
        if number >= (2, 0):
            raise http_error(505, f"Invalid HTTP version ({version[5:]})")
        return method, target, version
    if len(words) == 2 and words[0] == "GET":
        return words[0], words[1], "HTTP/0.9"
    if len(words) == 2:
        raise http_error(400, f"Bad HTTP/0.9 request type ({words[0]!r})")
    raise http_error(400, f"Bad request syntax ({text!r})")


def buffered_head(buffer: bytearray) -> tuple[bytes, Headers, int] | str | None:
    """The request line, the headers and the head's size when ``buffer`` starts with a whole
    head that needs none of the line-by-line care; ``None`` when more bytes may make one,
    :data:`SLOW` when the head must be read line by line (bare LF line ends, a blank first line,
    the HTTP/2 preface, a long head, too many lines). Both ways give the same headers."""
    end = buffer.find(b"\r\n\r\n", 0, FAST_HEAD)
    if end < 0:
        incomplete = len(buffer) < FAST_HEAD and b"\n\n" not in buffer
        return None if incomplete and not buffer.startswith((b"\n", b"\r\n")) else SLOW
    head = bytes(buffer[:end])
    lines = head.split(b"\r\n")
    first = lines[0]
    if (
        len(lines) > MAX_HEADERS + 1
        or head.count(b"\n") != len(lines) - 1
        or not first.strip()
        or first.startswith(b"PRI ")
    ):
        return SLOW
    items = []
    for line in lines[1:]:
        name, sep, value = line.decode("iso-8859-1").partition(":")
        if sep:
            items.append((name.strip(), value.strip()))
    return first + b"\r\n", Headers(items), end + 4


async def read_headers(reader: Reader) -> Headers:
    items: list[tuple[str, str]] = []
    while True:
        line = await reader.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise http_error(431, "Line too long")
        if line in (b"\r\n", b"\n", b""):
            return Headers(items)
        if len(items) >= MAX_HEADERS:
            raise http_error(431, "Too many headers")
        name, sep, value = line.decode("iso-8859-1").partition(":")
        if sep:
            items.append((name.strip(), value.strip()))


async def read_body(headers: Headers, reader: Reader, limit: int) -> bytes:
    """The request body, or :class:`BadRequest` when its framing is broken or too big."""
    last = headers.last
    text = last.get("content-length")
    if headers.repeats or text is None or not text.isdigit() or "transfer-encoding" in last:
        encoding = (last.get("transfer-encoding") or "").strip().lower()
        if encoding:
            if encoding != "chunked":
                raise BadRequest(
                    validation_error(
                        f"unsupported Transfer-Encoding {encoding!r}; send chunked or a "
                        "Content-Length"
                    )
                )
            return await _chunked_body(reader, limit)
        length = _declared_length(headers)
    else:  # one plain Content-Length: the common case
        length = int(text)
    if length > limit:
        # Read and drop a body we can afford to, so the client sees the answer; hang up on
        # larger ones (and on those the client has not sent yet: Expect: 100-continue).
        expects = (headers.get("Expect") or "").lower() == "100-continue"
        if not expects and length <= 4 * limit:
            await _discard(reader, length)
        raise BadRequest(too_large(length, limit))
    body = await reader.read(length) if length else b""
    if len(body) < length:
        raise BadRequest(validation_error(f"the body ended after {len(body)} of {length} bytes"))
    return body


def _declared_length(headers: Headers) -> int:
    """The one length the ``Content-Length`` headers agree on, or :class:`BadRequest`."""
    lengths = headers.get_all("Content-Length")
    if not lengths:
        response = validation_error(
            "the request has no Content-Length header; Bedrock needs the body length"
        )
        response.status = 411
        raise BadRequest(response)
    values = {v.strip() for v in ",".join(lengths).split(",")}
    if len(values) != 1 or not next(iter(values)).isdigit():
        raise BadRequest(
            validation_error(
                f"invalid Content-Length {', '.join(lengths)!r}: expected one non-negative integer"
            )
        )
    return int(next(iter(values)))


async def _discard(reader: Reader, length: int) -> None:
    while length > 0:
        data = await reader.read(min(length, 1 << 20))
        if not data:
            return
        length -= len(data)


async def _chunked_body(reader: Reader, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        line = await reader.readline(1024)
        size_text = line.split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size_text):
            raise BadRequest(
                validation_error(f"invalid chunk size line {line[:40]!r} in a chunked body")
            )
        size = int(size_text, 16)
        if size == 0:
            while await reader.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        total += size
        if total > limit:
            raise BadRequest(too_large(total, limit))
        data = await reader.read(size)
        if len(data) < size:
            raise BadRequest(validation_error("the chunked body ended inside a chunk"))
        parts.append(data)
        await reader.readline(3)


__all__ = [
    "FAST_HEAD",
    "SLOW",
    "BadRequest",
    "Headers",
    "Reader",
    "http_error",
    "parse_request_line",
    "read_body",
    "buffered_head",
    "read_headers",
]
