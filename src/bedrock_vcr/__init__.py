"""bedrock-vcr: record, replay, validate and simulate Amazon Bedrock Runtime calls."""

from __future__ import annotations

from .api import cassette_player, use_cassette
from .cassette import Cassette, CassetteConfig, RecordMode
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
from .player import CassettePlayer
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
    "ChecksumMismatch",
    "ConfigError",
    "EventStreamError",
    "Header",
    "HeaderType",
    "ImportReport",
    "Interaction",
    "MatchConfig",
    "Message",
    "MessageDecoder",
    "RecordMode",
    "RecordedRequest",
    "RecordedResponse",
    "RequestBodyError",
    "SecretInCassetteError",
    "StreamEvent",
    "UnmatchedRequestError",
    "__version__",
    "cassette_player",
    "convert_file",
    "decode_stream",
    "encode_message",
    "patch_client",
    "use_cassette",
]
