"""The package's import graph: layers point down (import-linter's contract in pyproject.toml)
and no two modules import each other, even through lazy or TYPE_CHECKING imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

grimp = pytest.importorskip("grimp")
ROOT = Path(__file__).resolve().parents[1]


def _cycle(graph: object, modules: set[str]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for dep in sorted(graph.find_modules_directly_imported_by(module)):  # type: ignore[attr-defined]
            if dep not in modules:
                continue
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(modules):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycles() -> None:
    graph = grimp.build_graph("bedrock_vcr", include_external_packages=False)
    # the root package re-exports the public API (lazily); everything else is a real dependency
    modules = {m for m in graph.modules if m != "bedrock_vcr"}
    assert _cycle(graph, modules) is None, " -> ".join(_cycle(graph, modules) or [])


def test_layer_contract_holds() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_importing_the_plugin_stays_light() -> None:
    code = (
        "import sys, bedrock_vcr.plugin;"
        "mods = sorted(m for m in sys.modules if m.startswith('bedrock_vcr'));"
        "heavy = [m for m in ('jsonschema', 'http.server', 'yaml', 'h2') if m in sys.modules];"
        "print(len(mods), mods, heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    count = int(out.split()[0])
    assert count <= 5, out
    assert out.rstrip().endswith("[]"), out
