"""bedrock-vcr: record, replay, validate and simulate Amazon Bedrock Runtime calls."""

from __future__ import annotations

from . import mutate
from .api import cassette_player, use_cassette
from .cassette import Cassette, CassetteConfig, RecordMode
from .checks import (
    CassetteReport,
    CassetteSchemaError,
    InvalidRequestError,
    SchemaAssertions,
    SchemaDriftWarning,
    check_interactions,
)
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
from .eventstream import Header, HeaderType, Message, MessageDecoder, decode_stream, encode_message
from .faults import CorruptFrame, Disconnect, Fault, StreamError, skip_backoff
from .interception import patch_client, watch_clients
from .matching import MatchConfig
from .mock import (
    BedrockMock,
    MockVerificationError,
    Route,
    RouteExhaustedError,
    UnexpectedRequestError,
    mock_bedrock,
)
from .model import Interaction, RecordedRequest, RecordedResponse, StreamEvent
from .models import ModelInfo, resolve_model
from .player import CassettePlayer
from .server import BedrockServer, CassetteSource, ScriptedSource, error_response
from .server_config import ServeConfigError, SimulationSource, load_config
from .simulation import (
    Answer,
    AnswerConflictError,
    Embedding,
    ToolCall,
    UnsupportedAnswerError,
    build_response,
)
from .validation import (
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
from .vcrpy_import import ImportReport, convert_file

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
