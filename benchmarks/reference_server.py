"""The floor for ``bench_server.py``: a minimal asyncio HTTP/1.1 server sending prebuilt bytes.

    python benchmarks/reference_server.py --interactions 200 --chunks 50

It answers the benchmark's stream requests with exactly what ``bedrock-vcr serve`` sends for
the same generated cassette (the same headers and event-stream frames, one HTTP chunk per
frame), every response built once at start-up. ``--one-write`` sends each whole answer in one
write: the strict floor issue 11's goal is judged against (one system call per stream).
Without it, each frame is written as its own chunk with a wait for the socket to drain
(``frame-writes`` in the benchmark: 52 system calls per stream, for comparison). It prints
``serving on URL`` when ready.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import STREAM, Workload  # noqa: E402

_INDEX = re.compile(rb"Question (\d+):")


def prebuilt(workload: Workload, size: int) -> dict[int, tuple[bytes, list[bytes]]]:
    """Per stream interaction: its status line and headers, then its chunk-framed frames."""
    date = email.utils.formatdate(usegmt=True)
    out = {}
    for i in workload.indices(size, STREAM):
        answer = workload.answer_for(i)
        head = f"HTTP/1.1 200 OK\r\nDate: {date}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in answer.headers.items())
        head += "Transfer-Encoding: chunked\r\n\r\n"
        frames = [b"%x\r\n%b\r\n" % (len(e.frame), e.frame) for e in answer.events or []]
        out[i] = (head.encode(), [*frames, b"0\r\n\r\n"])
    return out


async def serve(answers: dict[int, tuple[bytes, list[bytes]]], one_write: bool) -> None:
    if one_write:
        answers = {i: (head + b"".join(frames), []) for i, (head, frames) in answers.items()}

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
                body = await reader.readexactly(length)
                head_bytes, frames = answers[int(_INDEX.search(body).group(1))]  # type: ignore[union-attr]
                writer.write(head_bytes)
                await writer.drain()
                for frame in frames:
                    writer.write(frame)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", 0)
    print(f"serving on http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=200)
    parser.add_argument("--chunks", type=int, default=50)
    parser.add_argument("--one-write", action="store_true", help="each answer in one write")
    args = parser.parse_args()
    workload = Workload(chunks=args.chunks, stream_share=0.5)
    asyncio.run(serve(prebuilt(workload, args.interactions), args.one_write))


if __name__ == "__main__":
    main()
