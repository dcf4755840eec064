"""bedrock-vcr: record, replay, validate and simulate Amazon Bedrock Runtime calls.

The public API is the names in ``__all__``. They are loaded on first use (PEP 562), so that
``import bedrock_vcr`` (which pytest does for the plugin in every project where the package is
installed) loads no engine module, no botocore and no jsonschema until something is used.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it (a module itself where the name is the module)
_EXPORTS: dict[str, str] = {
    "ModelInfo": "bedrock_vcr.bedrock.models",
    "resolve_model": "bedrock_vcr.bedrock.models",
    "Cassette": "bedrock_vcr.cassettes.cassette",
    "CassetteConfig": "bedrock_vcr.cassettes.cassette",
    "RecordMode": "bedrock_vcr.cassettes.modes",
    "MatchConfig": "bedrock_vcr.cassettes.matching",
    "Interaction": "bedrock_vcr.cassettes.records",
    "RecordedRequest": "bedrock_vcr.cassettes.records",
    "RecordedResponse": "bedrock_vcr.cassettes.records",
    "StreamEvent": "bedrock_vcr.cassettes.records",
    "ImportReport": "bedrock_vcr.cassettes.vcrpy_convert",
    "CallLog": "bedrock_vcr.cassettes.calls",
    "CallAssertionError": "bedrock_vcr.errors",
    "convert_file": "bedrock_vcr.cassettes.vcrpy_convert",
    "AmbiguousCassetteError": "bedrock_vcr.errors",
    "AnswerConflictError": "bedrock_vcr.errors",
    "BedrockVCRError": "bedrock_vcr.errors",
    "BedrockVCRWarning": "bedrock_vcr.errors",
    "CassetteError": "bedrock_vcr.errors",
    "CassetteFormatError": "bedrock_vcr.errors",
    "CassetteLockTimeout": "bedrock_vcr.errors",
    "CassetteNotFoundError": "bedrock_vcr.errors",
    "CassetteSchemaError": "bedrock_vcr.errors",
    "ChecksumMismatch": "bedrock_vcr.errors",
    "ConfigError": "bedrock_vcr.errors",
    "EventStreamError": "bedrock_vcr.errors",
    "InvalidRequestError": "bedrock_vcr.errors",
    "MockVerificationError": "bedrock_vcr.errors",
    "NetworkBlockedError": "bedrock_vcr.errors",
    "RequestBodyError": "bedrock_vcr.errors",
    "RouteExhaustedError": "bedrock_vcr.errors",
    "SchemaDriftWarning": "bedrock_vcr.errors",
    "SchemaValidationError": "bedrock_vcr.errors",
    "SecretInCassetteError": "bedrock_vcr.errors",
    "SecretRedactedWarning": "bedrock_vcr.errors",
    "ServeConfigError": "bedrock_vcr.errors",
    "TruncatedStreamWarning": "bedrock_vcr.errors",
    "UncoveredRequestWarning": "bedrock_vcr.errors",
    "UnexpectedRequestError": "bedrock_vcr.errors",
    "UnknownModelError": "bedrock_vcr.errors",
    "UnknownModelWarning": "bedrock_vcr.errors",
    "UnmatchedRequestError": "bedrock_vcr.errors",
    "UnusedIgnoreKeyWarning": "bedrock_vcr.errors",
    "UnsupportedAnswerError": "bedrock_vcr.errors",
    "UnsupportedOperationError": "bedrock_vcr.errors",
    "cassette_player": "bedrock_vcr.intercept.api",
    "use_cassette": "bedrock_vcr.intercept.api",
    "skip_backoff": "bedrock_vcr.intercept.backoff",
    "patch_client": "bedrock_vcr.intercept.clients",
    "watch_clients": "bedrock_vcr.intercept.clients",
    "BedrockMock": "bedrock_vcr.intercept.mock",
    "mock_bedrock": "bedrock_vcr.intercept.mock",
    "CassettePlayer": "bedrock_vcr.intercept.player",
    "Route": "bedrock_vcr.intercept.routes",
    "BedrockServer": "bedrock_vcr.server.http1",
    "CassetteSource": "bedrock_vcr.server.sources",
    "ScriptedSource": "bedrock_vcr.server.sources",
    "error_response": "bedrock_vcr.cassettes.records",
    "SimulationSource": "bedrock_vcr.server.routes_file",
    "load_config": "bedrock_vcr.server.routes_file",
    "Answer": "bedrock_vcr.simulation",
    "Embedding": "bedrock_vcr.simulation",
    "GuardrailResult": "bedrock_vcr.simulation",
    "TokenCount": "bedrock_vcr.simulation",
    "ToolCall": "bedrock_vcr.simulation",
    "build_response": "bedrock_vcr.simulation",
    "CorruptFrame": "bedrock_vcr.simulation.faults",
    "Disconnect": "bedrock_vcr.simulation.faults",
    "Fault": "bedrock_vcr.simulation.faults",
    "StreamError": "bedrock_vcr.simulation.faults",
    "mutate": "bedrock_vcr.simulation.mutate",
    "CassetteReport": "bedrock_vcr.validation.checks",
    "SchemaAssertions": "bedrock_vcr.validation.checks",
    "check_interactions": "bedrock_vcr.validation.checks",
    "Violation": "bedrock_vcr.validation.validate",
    "assert_valid_chunk": "bedrock_vcr.validation.validate",
    "assert_valid_request": "bedrock_vcr.validation.validate",
    "assert_valid_response": "bedrock_vcr.validation.validate",
    "bedrock_validation_message": "bedrock_vcr.validation.validate",
    "schema_for": "bedrock_vcr.validation.schemas",
    "validate_chunk": "bedrock_vcr.validation.validate",
    "validate_request": "bedrock_vcr.validation.validate",
    "validate_response": "bedrock_vcr.validation.validate",
    "Header": "bedrock_vcr.wire.eventstream",
    "HeaderType": "bedrock_vcr.wire.eventstream",
    "Message": "bedrock_vcr.wire.eventstream",
    "MessageDecoder": "bedrock_vcr.wire.eventstream",
    "decode_stream": "bedrock_vcr.wire.eventstream",
    "encode_message": "bedrock_vcr.wire.eventstream",
}

__all__ = [
    "Answer",
    "AmbiguousCassetteError",
    "AnswerConflictError",
    "BedrockMock",
    "BedrockServer",
    "BedrockVCRError",
    "BedrockVCRWarning",
    "CallAssertionError",
    "CallLog",
    "Cassette",
    "CassetteConfig",
    "CassetteError",
    "CassetteFormatError",
    "CassetteLockTimeout",
    "CassetteNotFoundError",
    "CassettePlayer",
    "CassetteReport",
    "CassetteSchemaError",
    "CassetteSource",
    "ChecksumMismatch",
    "ConfigError",
    "CorruptFrame",
    "Disconnect",
    "Embedding",
    "EventStreamError",
    "Fault",
    "GuardrailResult",
    "Header",
    "HeaderType",
    "ImportReport",
    "Interaction",
    "InvalidRequestError",
    "MatchConfig",
    "Message",
    "MessageDecoder",
    "MockVerificationError",
    "NetworkBlockedError",
    "ModelInfo",
    "RecordMode",
    "RecordedRequest",
    "RecordedResponse",
    "RequestBodyError",
    "Route",
    "RouteExhaustedError",
    "SchemaAssertions",
    "SchemaDriftWarning",
    "SchemaValidationError",
    "ScriptedSource",
    "SecretInCassetteError",
    "SecretRedactedWarning",
    "ServeConfigError",
    "SimulationSource",
    "StreamError",
    "StreamEvent",
    "TokenCount",
    "ToolCall",
    "TruncatedStreamWarning",
    "UncoveredRequestWarning",
    "UnexpectedRequestError",
    "UnknownModelError",
    "UnknownModelWarning",
    "UnmatchedRequestError",
    "UnusedIgnoreKeyWarning",
    "UnsupportedAnswerError",
    "UnsupportedOperationError",
    "Violation",
    "assert_valid_chunk",
    "assert_valid_request",
    "assert_valid_response",
    "bedrock_validation_message",
    "build_response",
    "cassette_player",
    "check_interactions",
    "convert_file",
    "decode_stream",
    "encode_message",
    "error_response",
    "load_config",
    "mock_bedrock",
    "mutate",
    "patch_client",
    "resolve_model",
    "schema_for",
    "skip_backoff",
    "use_cassette",
    "validate_chunk",
    "validate_request",
    "validate_response",
    "watch_clients",
    "__version__",
]

if TYPE_CHECKING:
    from .bedrock.models import ModelInfo, resolve_model
    from .cassettes.calls import CallLog
    from .cassettes.cassette import Cassette, CassetteConfig
    from .cassettes.matching import MatchConfig
    from .cassettes.modes import RecordMode
    from .cassettes.records import (
        Interaction,
        RecordedRequest,
        RecordedResponse,
        StreamEvent,
        error_response,
    )
    from .cassettes.vcrpy_convert import ImportReport, convert_file
    from .errors import (
        AmbiguousCassetteError,
        AnswerConflictError,
        BedrockVCRError,
        BedrockVCRWarning,
        CallAssertionError,
        CassetteError,
        CassetteFormatError,
        CassetteLockTimeout,
        CassetteNotFoundError,
        CassetteSchemaError,
        ChecksumMismatch,
        ConfigError,
        EventStreamError,
        InvalidRequestError,
        MockVerificationError,
        NetworkBlockedError,
        RequestBodyError,
        RouteExhaustedError,
        SchemaDriftWarning,
        SchemaValidationError,
        SecretInCassetteError,
        SecretRedactedWarning,
        ServeConfigError,
        TruncatedStreamWarning,
        UncoveredRequestWarning,
        UnexpectedRequestError,
        UnknownModelError,
        UnknownModelWarning,
        UnmatchedRequestError,
        UnsupportedAnswerError,
        UnsupportedOperationError,
        UnusedIgnoreKeyWarning,
    )
    from .intercept.api import cassette_player, use_cassette
    from .intercept.backoff import skip_backoff
    from .intercept.clients import patch_client, watch_clients
    from .intercept.mock import BedrockMock, mock_bedrock
    from .intercept.player import CassettePlayer
    from .intercept.routes import Route
    from .server.http1 import BedrockServer
    from .server.routes_file import SimulationSource, load_config
    from .server.sources import CassetteSource, ScriptedSource
    from .simulation import (
        Answer,
        Embedding,
        GuardrailResult,
        TokenCount,
        ToolCall,
        build_response,
        mutate,
    )
    from .simulation.faults import CorruptFrame, Disconnect, Fault, StreamError
    from .validation.checks import CassetteReport, SchemaAssertions, check_interactions
    from .validation.schemas import schema_for
    from .validation.validate import (
        Violation,
        assert_valid_chunk,
        assert_valid_request,
        assert_valid_response,
        bedrock_validation_message,
        validate_chunk,
        validate_request,
        validate_response,
    )
    from .wire.eventstream import (
        Header,
        HeaderType,
        Message,
        MessageDecoder,
        decode_stream,
        encode_message,
    )


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'bedrock_vcr' has no attribute {name!r}")
    # looked up each time, not kept here: pytester's in-process runs drop the modules they
    # imported, and a kept name would then be another class than the module's next import
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    return module if module_name.endswith("." + name) else getattr(module, name)


def __dir__() -> list[str]:
    return __all__
