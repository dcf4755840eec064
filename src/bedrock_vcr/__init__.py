"""bedrock-vcr: record, replay, validate and simulate Amazon Bedrock Runtime calls."""

from __future__ import annotations

from .bedrock.models import ModelInfo, resolve_model
from .cassettes.cassette import Cassette, CassetteConfig, RecordMode
from .cassettes.matching import MatchConfig
from .cassettes.records import Interaction, RecordedRequest, RecordedResponse, StreamEvent
from .cassettes.vcrpy import ImportReport, convert_file
from .errors import (
    BedrockVCRError,
    CassetteError,
    CassetteFormatError,
    CassetteNotFoundError,
    ChecksumMismatch,
    ConfigError,
    EventStreamError,
    RequestBodyError,
    SecretInCassetteError,
    UnmatchedRequestError,
)
from .intercept.api import cassette_player, use_cassette
from .intercept.clients import patch_client, watch_clients
from .intercept.mock import (
    BedrockMock,
    MockVerificationError,
    Route,
    RouteExhaustedError,
    UnexpectedRequestError,
    mock_bedrock,
)
from .intercept.player import CassettePlayer
from .server.app import BedrockServer, CassetteSource, ScriptedSource, error_response
from .server.routes_file import ServeConfigError, SimulationSource, load_config
from .simulation import (
    Answer,
    AnswerConflictError,
    Embedding,
    ToolCall,
    UnsupportedAnswerError,
    build_response,
    mutate,
)
from .simulation.faults import CorruptFrame, Disconnect, Fault, StreamError, skip_backoff
from .validation.checks import (
    CassetteReport,
    CassetteSchemaError,
    InvalidRequestError,
    SchemaAssertions,
    SchemaDriftWarning,
    check_interactions,
)
from .validation.schemas import (
    SchemaValidationError,
    UnknownModelError,
    UnknownModelWarning,
    Violation,
    assert_valid_chunk,
    assert_valid_request,
    assert_valid_response,
    bedrock_validation_message,
    schema_for,
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

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "AnswerConflictError",
    "BedrockMock",
    "BedrockServer",
    "BedrockVCRError",
    "Cassette",
    "CassetteConfig",
    "CassetteError",
    "CassetteFormatError",
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
    "Header",
    "HeaderType",
    "ImportReport",
    "Interaction",
    "InvalidRequestError",
    "MatchConfig",
    "Message",
    "MessageDecoder",
    "MockVerificationError",
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
    "ServeConfigError",
    "SimulationSource",
    "StreamError",
    "StreamEvent",
    "ToolCall",
    "UnexpectedRequestError",
    "UnknownModelError",
    "UnknownModelWarning",
    "UnmatchedRequestError",
    "UnsupportedAnswerError",
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
