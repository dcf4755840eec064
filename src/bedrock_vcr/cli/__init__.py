"""The ``bedrock-vcr`` command line: one module per sub-command, :mod:`.main` ties them together.

Each command module has ``register(subparsers)``, adding its parser(s) with a ``func`` default;
the order of :data:`MODULES` is the order of ``bedrock-vcr --help``. A module is imported only
to build the parser, so each keeps its heavier imports to itself.
"""

from __future__ import annotations

import argparse
import importlib

MODULES = ("inspect", "scrub", "import_vcrpy", "serve", "validate")


def register_all(sub: argparse._SubParsersAction) -> None:
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
