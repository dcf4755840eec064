"""bedrock-vcr: record, replay, validate and simulate Amazon Bedrock Runtime calls."""

from __future__ import annotations

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
from .interception import patch_client
from .matching import MatchConfig
from .model import Interaction, RecordedRequest, RecordedResponse, StreamEvent
from .models import ModelInfo, resolve_model
from .player import CassettePlayer
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
    "BedrockVCRError",
    "Cassette",
    "CassetteConfig",
    "CassetteError",
    "CassetteFormatError",
    "CassetteNotFoundError",
    "CassettePlayer",
    "CassetteReport",
    "CassetteSchemaError",
    "ChecksumMismatch",
    "ConfigError",
    "EventStreamError",
    "Header",
    "HeaderType",
    "ImportReport",
    "Interaction",
    "InvalidRequestError",
    "MatchConfig",
    "Message",
    "MessageDecoder",
    "ModelInfo",
    "RecordMode",
    "RecordedRequest",
    "RecordedResponse",
    "RequestBodyError",
    "SchemaAssertions",
    "SchemaDriftWarning",
    "SchemaValidationError",
    "SecretInCassetteError",
    "StreamEvent",
    "UnknownModelError",
    "UnknownModelWarning",
    "UnmatchedRequestError",
    "Violation",
    "assert_valid_chunk",
    "assert_valid_request",
    "assert_valid_response",
    "bedrock_validation_message",
    "cassette_player",
    "check_interactions",
    "convert_file",
    "decode_stream",
    "encode_message",
    "patch_client",
    "resolve_model",
    "schema_for",
    "use_cassette",
    "validate_chunk",
    "validate_request",
    "validate_response",
    "__version__",
]
