"""Every exception pickles with its message and context (pytest-xdist ships them between
processes), and every exception and warning the package defines derives from its bases."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import bedrock_vcr
from bedrock_vcr import errors
from bedrock_vcr.validation.validate import Violation

REQUEST = SimpleNamespace(operation="InvokeModel", model_id="meta.llama3-8b-instruct-v1:0")
VIOLATION = Violation("#/max_gen_len", "maximum", "99999 is greater than 2048")

# one realistic instance of every exception class in bedrock_vcr.errors
INSTANCES: dict[str, Any] = {
    "BedrockVCRError": lambda: errors.BedrockVCRError("boom"),
    "EventStreamError": lambda: errors.EventStreamError("bad frame", offset=12),
    "ChecksumMismatch": lambda: errors.ChecksumMismatch("prelude", 1, 2, offset=0),
    "InvalidHeadersLength": lambda: errors.InvalidHeadersLength(999, total=40),
    "InvalidPayloadLength": lambda: errors.InvalidPayloadLength(1 << 30),
    "DuplicateHeader": lambda: errors.DuplicateHeader(":event-type", offset=3),
    "TruncatedFrame": lambda: errors.TruncatedFrame(4, 16, offset=100),
    "InvalidHeader": lambda: errors.InvalidHeader("header type 99 is unknown"),
    "CassetteError": lambda: errors.CassetteError("bad", path="c.yaml", interaction=2),
    "CassetteFormatError": lambda: errors.CassetteFormatError(
        "not a mapping", path="c.yaml", interaction=1, json_path="#/response", fix="edit it"
    ),
    "CassetteNotFoundError": lambda: errors.CassetteNotFoundError("missing", path="c.yaml"),
    "SecretInCassetteError": lambda: errors.SecretInCassetteError("secret", path="c.yaml"),
    "VcrpyCassetteError": lambda: errors.VcrpyCassetteError("vcrpy", path="c.yaml", fix="import"),
    "UnmatchedRequestError": lambda: errors.UnmatchedRequestError(
        operation="InvokeModel",
        model_id="m",
        cassette="c.yaml",
        record_mode="none",
        candidates=[errors.Candidate(0, "InvokeModel", "m", ("body #/prompt: differs",))],
    ),
    "UnsupportedOperationError": lambda: errors.UnsupportedOperationError(
        operation="FutureOp", method="POST", path="/future", supported=["InvokeModel"]
    ),
    "RequestBodyError": lambda: errors.RequestBodyError(
        operation="InvokeModel", model_id="m", problem="Expecting value"
    ),
    "ConfigError": lambda: errors.ConfigError("unknown option 'x'"),
    "RecordingError": lambda: errors.RecordingError("cannot record"),
    "CassetteLockTimeout": lambda: errors.CassetteLockTimeout(
        path="c.yaml", lock_path=".bedrock-vcr/c.yaml.lock", waited=30.0, holder="pid 7 on h"
    ),
    "AmbiguousCassetteError": lambda: errors.AmbiguousCassetteError(
        thread="worker-1", flows=["cassette a.yaml (thread 'A')", "cassette b.yaml (thread 'B')"]
    ),
    "ServeConfigError": lambda: errors.ServeConfigError("bad key", where="routes[0]", fix="x"),
    "SimulationError": lambda: errors.SimulationError("no answer", route="route 1"),
    "AsyncClientNotSupported": lambda: errors.AsyncClientNotSupported("httpx backend"),
    "UnexpectedRequestError": lambda: errors.UnexpectedRequestError(
        REQUEST, [("route 1", "model differs")]
    ),
    "RouteExhaustedError": lambda: errors.RouteExhaustedError("route 1", 3),
    "MockVerificationError": lambda: errors.MockVerificationError(["route 1 never called"]),
    "UnknownModelError": lambda: errors.UnknownModelError("x.y", operation="InvokeModel"),
    "SchemaNotFoundError": lambda: errors.SchemaNotFoundError(
        model_id="m", family="meta.llama", kind="chunk", operation="Converse", reason="no"
    ),
    "SchemaValidationError": lambda: errors.SchemaValidationError(
        model_id="m", kind="request", operation="InvokeModel", schema_id="s", violations=[VIOLATION]
    ),
    "SchemaPointerError": lambda: errors.SchemaPointerError("s", "#/a", "no enum"),
    "CassetteSchemaError": lambda: errors.CassetteSchemaError(
        "drift", findings=["f"], cassette=None, recording=False
    ),
    "InvalidRequestError": lambda: errors.InvalidRequestError(
        REQUEST, [VIOLATION], schema_id="s", cassette=None
    ),
    "UnsupportedAnswerError": lambda: errors.UnsupportedAnswerError(
        "no such stop reason", model_id="m", valid=["stop", "length"]
    ),
    "NetworkBlockedError": lambda: errors.NetworkBlockedError(
        method="POST",
        url="https://bedrock-runtime.us-east-1.amazonaws.com/",
        caller="litellm",
        transport="httpx",
    ),
    "UnplayedInteractionsError": lambda: errors.UnplayedInteractionsError(
        Path("c.yaml"), [SimpleNamespace(request=REQUEST)]
    ),
    "AnswerConflictError": lambda: errors.AnswerConflictError(
        "too long", model_id="m", operation="InvokeModel", fix="shorten it"
    ),
    "CallAssertionError": lambda: errors.CallAssertionError(
        expected="expected a call with operation='Converse'",
        source="bedrock_mock",
        seen=["InvokeModel to 'm', body {}\n     differs: operation is InvokeModel"],
    ),
}


def _exception_classes(module: Any) -> list[type[BaseException]]:
    return [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, BaseException)
        and obj.__module__.startswith(module.__name__)
        and (module.__name__ == "bedrock_vcr.errors" or obj.__module__ == module.__name__)
    ]


def test_every_exception_class_has_an_instance_here() -> None:
    defined = {cls.__name__ for cls in _exception_classes(errors) if not issubclass(cls, Warning)}
    assert defined == set(INSTANCES)


@pytest.mark.parametrize("name", sorted(INSTANCES))
def test_exception_round_trips_through_pickle(name: str) -> None:
    exc = INSTANCES[name]()
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc)
    assert str(back) == str(exc)
    assert back.args == exc.args
    assert {k: v for k, v in vars(back).items() if k != "request"} == {
        k: v for k, v in vars(exc).items() if k != "request"
    }


def test_mock_verification_error_keeps_its_lines_after_pickling() -> None:
    exc = errors.MockVerificationError(["route 1 never called", "route 2 has 1 unused outcome"])
    back = pickle.loads(pickle.dumps(exc))
    assert back.problems == exc.problems
    assert str(back).splitlines()[1] == "  - route 1 never called"


def _all_modules() -> list[Any]:
    names = ["bedrock_vcr"] + [
        info.name
        for info in pkgutil.walk_packages(bedrock_vcr.__path__, "bedrock_vcr.")
        if not info.name.startswith("bedrock_vcr._schemas")
    ]
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ImportError as exc:  # an optional extra that is not installed
            if "aiobotocore" not in str(exc) and "aiohttp" not in str(exc):
                raise
    return modules


def test_every_exception_and_warning_derives_from_the_bases() -> None:
    strays = []
    for module in _all_modules():
        for cls in _exception_classes(module):
            base = errors.BedrockVCRWarning if issubclass(cls, Warning) else errors.BedrockVCRError
            if not issubclass(cls, base):
                strays.append(f"{module.__name__}.{cls.__name__}")
    assert strays == []


@pytest.mark.parametrize(
    "warning",
    [
        errors.SchemaDriftWarning("drift"),
        errors.UncoveredRequestWarning(method="POST", url="u", caller="httpx", transport="httpx"),
        errors.CassetteMovedWarning(Path("old.yaml"), Path("new.bedrock.yaml")),
    ],
    ids=type,
)
def test_warnings_round_trip_through_pickle(warning: Warning) -> None:
    back = pickle.loads(pickle.dumps(warning))
    assert type(back) is type(warning) and str(back) == str(warning)
    assert vars(back) == vars(warning)
