"""Sub-commands of ``bedrock-vcr`` that live beside the feature they expose.

Each module here has ``register(subparsers)``, adding its parser(s) with a ``func`` default.
"""

from __future__ import annotations

import argparse
import importlib

MODULES = ("serve", "validate")


def register_all(sub: argparse._SubParsersAction) -> None:
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
