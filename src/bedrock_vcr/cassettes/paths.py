"""Where a test's cassette lives by default, and the file-name escaping that keeps ids apart.

Pure functions of the test's location, so the pytest plugin and tools can share them.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)

# kept as they are; everything else is percent-encoded, "%" included, so two ids never merge
_UNSAFE = re.compile(r"[^A-Za-z0-9_.=\[\]-]")
_MAX_NAME = 150
SUFFIX = ".bedrock.yaml"


def escape_name(name: str) -> str:
    """A file name for ``name`` that no other name maps to (percent-encoding, like a URL)."""
    out = _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), name)
    if out.startswith("."):  # no hidden files, no "." or ".."
        out = "%2E" + out[1:]
    if len(out) > _MAX_NAME:  # file systems cap names near 255 bytes: keep it unique by hash
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        out = f"{out[: _MAX_NAME - 17]}-{digest}"
    return out or "cassette"


def default_path(rootpath: Path, folder: str, test_file: Path | None, test_id: str) -> Path:
    """Where a test's cassette lives when the marker names no path.

    By default beside the test file, as pytest-recording does, but as ``<id>.bedrock.yaml`` so
    that the two tools never write one file: ``<test dir>/cassettes/<module>/<id>.bedrock.yaml``.
    With a cassette folder (the ``bedrock_cassette_dir`` ini key): ``<folder>/<test file path
    from the rootdir, without .py>/<id>.bedrock.yaml``. Either way the path does not depend on
    the working directory and two test ids never share a file.
    """
    name = escape_name(test_id) + SUFFIX
    if test_file is None:
        return rootpath / (folder or "cassettes") / name
    if not folder:
        return test_file.parent / "cassettes" / escape_name(test_file.stem) / name
    base = Path(folder) if Path(folder).is_absolute() else rootpath / folder
    try:
        relative = test_file.with_suffix("").relative_to(rootpath)
    except ValueError:  # a test file outside the rootdir
        relative = Path(test_file.stem)
    return base.joinpath(*(escape_name(part) for part in relative.parts)) / name


def legacy_path(rootpath: Path, folder: str, test_file: Path | None, name: str) -> Path:
    """The default path of versions before 0.2 (``<rootdir>/cassettes/<module>/<test>.yaml``)."""
    base = Path(folder or "cassettes")
    if not base.is_absolute():
        base = rootpath / base
    module = test_file.stem if test_file is not None else "tests"

    def old(text: str) -> str:
        return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_") or "cassette"

    return base / old(module) / f"{old(name)}.yaml"
