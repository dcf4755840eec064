"""HTTP/2 framing the server needs before and beside ``h2``: the client preface, the answer to
an HTTP/2 client when ``h2`` is missing, and :class:`FrameReader`, which cuts the client's bytes
into whole frames. Imports nothing from ``h2``, so :mod:`~bedrock_vcr.server.http1` can use it
to recognise HTTP/2 and refuse it when the package is absent.
"""

from __future__ import annotations

import struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_GOAWAY = 0x7
_SETTINGS = 0x4
_HTTP_1_1_REQUIRED = 0xD


def available() -> bool:
    try:
        import h2  # noqa: F401
    except ImportError:
        return False
    return True


def _frame(kind: int, payload: bytes, stream_id: int = 0, flags: int = 0) -> bytes:
    return (
        struct.pack(">I", len(payload))[1:]
        + struct.pack(">BBI", kind, flags, stream_id)
        + (payload)
    )


def settings_frame(settings: dict[int, int]) -> bytes:
    """A SETTINGS frame carrying ``settings`` (identifier: value; RFC 9113, 6.5.1)."""
    payload = b"".join(struct.pack(">HI", int(key), value) for key, value in settings.items())
    return _frame(_SETTINGS, payload)


def http11_required() -> bytes:
    """An empty SETTINGS frame and a GOAWAY asking for HTTP/1.1 (when ``h2`` is missing)."""
    debug = b"bedrock-vcr serves HTTP/2 when the 'h2' package is installed (pip install h2)"
    goaway = struct.pack(">II", 0, _HTTP_1_1_REQUIRED) + debug
    return _frame(_SETTINGS, b"") + _frame(_GOAWAY, goaway)


class FrameReader:
    """Splits the client's bytes into whole frames, each handed to ``h2`` on its own.

    One frame at a time lets the session act between frames: refuse a stream over the limit
    before the next one opens, count resets, stop at once when a client misbehaves. A frame
    longer than ``h2`` accepts is passed on as its bare header, so that ``h2`` answers it with
    FRAME_SIZE_ERROR instead of this buffering it.

    A GOAWAY from the client is kept back and reported: ``h2`` closes its whole connection state
    when one arrives, after which it refuses to send on streams still in progress; HTTP/2 lets
    them finish (RFC 9113, 6.8), and the JavaScript SDK relies on that: it sends GOAWAY right
    after an event stream's response headers arrive.
    """

    def __init__(self) -> None:
        self.buffer = bytearray()
        #: The error code of the last GOAWAY received, ``None`` before any.
        self.goaway: int | None = None

    def frames(self, data: bytes, max_size: int) -> list[bytes]:
        """The whole frames ``data`` completes (a GOAWAY is recorded, not returned)."""
        buf = self.buffer
        buf += data
        out: list[bytes] = []
        offset = 0
        while len(buf) - offset >= 9:
            size = int.from_bytes(buf[offset : offset + 3], "big")
            if size > max_size:
                out.append(bytes(buf[offset : offset + 9]))  # h2 refuses it: FRAME_SIZE_ERROR
                offset = len(buf)
                break
            end = offset + 9 + size
            if len(buf) < end:
                break
            if buf[offset + 3] == _GOAWAY:
                code = buf[offset + 13 : offset + 17]
                self.goaway = int.from_bytes(code, "big") if len(code) == 4 else 0
            else:
                out.append(bytes(buf[offset:end]))
            offset = end
        del buf[:offset]
        return out


__all__ = ["PREFACE", "FrameReader", "available", "http11_required", "settings_frame"]
