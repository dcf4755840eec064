"""Reading an HTTP/1.1 request body: ``Content-Length`` or chunked, within the size limit.

Broken framing and oversized bodies are where clients and proxies differ most, so the rules live
in one place: every refusal is a Bedrock-shaped answer (:class:`BadRequest` carries it to the
handler in :mod:`~bedrock_vcr.server.http1`), never an exception that kills the connection's
thread. HTTP/2 bodies come framed by ``h2`` and need none of this.
"""

from __future__ import annotations

import re
from email.message import Message
from io import BufferedIOBase

from ..cassettes.records import RecordedResponse
from ..errors import BedrockVCRError
from .transport import too_large, validation_error

_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")


class BadRequest(BedrockVCRError):
    """The request cannot be served: answer ``response`` (and hang up when ``close``).

    Control flow inside the HTTP/1.1 handler only; it never reaches a caller of the package.
    """

    def __init__(self, response: RecordedResponse, close: bool = True) -> None:
        self.response = response
        self.close = close


def read_body(headers: Message, rfile: BufferedIOBase, limit: int) -> bytes:
    """The request body, or :class:`BadRequest` when its framing is broken or too big."""
    encoding = (headers.get("Transfer-Encoding") or "").strip().lower()
    if encoding:
        if encoding != "chunked":
            raise BadRequest(
                validation_error(
                    f"unsupported Transfer-Encoding {encoding!r}; send chunked or a Content-Length"
                )
            )
        return _chunked_body(rfile, limit)
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
    length = int(next(iter(values)))
    if length > limit:
        # Read and drop a body we can afford to, so the client sees the answer; hang up on
        # larger ones (and on those the client has not sent yet: Expect: 100-continue).
        expects = (headers.get("Expect") or "").lower() == "100-continue"
        if not expects and length <= 4 * limit:
            _discard(rfile, length)
        raise BadRequest(too_large(length, limit))
    body = rfile.read(length) if length else b""
    if len(body) < length:
        raise BadRequest(
            validation_error(f"the body ended after {len(body)} of {length} bytes"), close=True
        )
    return body


def _discard(rfile: BufferedIOBase, length: int) -> None:
    while length > 0:
        data = rfile.read(min(length, 1 << 20))
        if not data:
            return
        length -= len(data)


def _chunked_body(rfile: BufferedIOBase, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        line = rfile.readline(1024)
        size_text = line.split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size_text):
            raise BadRequest(
                validation_error(f"invalid chunk size line {line[:40]!r} in a chunked body")
            )
        size = int(size_text, 16)
        if size == 0:
            while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        total += size
        if total > limit:
            raise BadRequest(too_large(total, limit))
        data = rfile.read(size)
        if len(data) < size:
            raise BadRequest(validation_error("the chunked body ended inside a chunk"))
        parts.append(data)
        rfile.readline(3)


__all__ = ["BadRequest", "read_body"]
