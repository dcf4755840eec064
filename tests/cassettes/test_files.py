"""Whole-file reads by descriptor: every byte, in one read for a regular file, short reads
read on, a cap enforced before and while reading, and the descriptor always closed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bedrock_vcr.cassettes import files


def reads_of(monkeypatch: pytest.MonkeyPatch, most: int | None = None) -> list[int]:
    """The sizes asked of ``os.read`` (each answered with at most ``most`` bytes)."""
    asked: list[int] = []
    real = os.read

    def read(fd: int, n: int) -> bytes:
        asked.append(n)
        return real(fd, n if most is None else min(n, most))

    monkeypatch.setattr(files.os, "read", read)
    return asked


def closed(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


@pytest.mark.parametrize(
    ("size", "cap", "expected", "reads"),
    [
        pytest.param(3000, 10_000, b"x" * 3000, [3001], id="read-in-one-call-of-its-size"),
        pytest.param(101, 100, None, [], id="over-the-cap-refused-unread"),
    ],
)
def test_a_file_is_read_whole_or_refused_and_always_closed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: int,
    cap: int,
    expected: bytes | None,
    reads: list[int],
) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"x" * size)
    asked = reads_of(monkeypatch)
    fd = files.open_file(path)
    assert files.read_all(fd, cap) == expected
    assert asked == reads
    assert closed(fd)


def test_short_reads_are_read_on_to_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    data = bytes(range(256)) * 40
    path.write_bytes(data)
    asked = reads_of(monkeypatch, most=1000)
    assert files.read_all(files.open_file(path), 1 << 20) == data
    assert asked == [10_241, 9_241, 8_241, 7_241, 6_241, 5_241, 4_241, 3_241, 2_241, 1_241, 241]


def test_an_empty_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_bytes(b"")
    assert files.read_all(files.open_file(path), 100) == b""
