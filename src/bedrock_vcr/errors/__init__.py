"""Every exception and warning bedrock-vcr raises, in one package at the bottom of the layers.

Every exception derives from :class:`BedrockVCRError`, every warning from
:class:`BedrockVCRWarning`. Failures that pytest should report as a failed test (rather than an
error in the tool) also derive from :class:`AssertionError`; codec and configuration errors also
derive from :class:`ValueError`. Each class keeps its context as attributes and builds its
message from them. Exceptions pickle with their message and attributes intact (pytest-xdist
sends them between processes), whatever their constructor takes. One module per concern;
everything is importable from ``bedrock_vcr.errors``.
"""

from __future__ import annotations

from .base import DOCS, SCHEMAS_DOCS, BedrockVCRError, BedrockVCRWarning, did_you_mean
from .calls import CallAssertionError
from .cassettes import (
    CassetteError,
    CassetteFormatError,
    CassetteNotFoundError,
    SecretInCassetteError,
    SecretRedactedWarning,
    TruncatedStreamWarning,
    UnusedIgnoreKeyWarning,
    VcrpyCassetteError,
)
from .codec import (
    ChecksumMismatch,
    DuplicateHeader,
    EventStreamError,
    InvalidHeader,
    InvalidHeadersLength,
    InvalidPayloadLength,
    TruncatedFrame,
)
from .replay import (
    AmbiguousCassetteError,
    Candidate,
    CassetteLockTimeout,
    ConfigError,
    RecordingError,
    RequestBodyError,
    UnmatchedRequestError,
    UnsupportedOperationError,
)
from .schemas import (
    AnswerConflictError,
    CassetteSchemaError,
    InvalidRequestError,
    SchemaDriftWarning,
    SchemaNotFoundError,
    SchemaPointerError,
    SchemaValidationError,
    UnknownModelError,
    UnknownModelWarning,
    UnsupportedAnswerError,
)
from .service import (
    AsyncClientNotSupported,
    CassetteMovedWarning,
    MockVerificationError,
    NetworkBlockedError,
    RouteExhaustedError,
    ServeConfigError,
    SimulationError,
    UncoveredRequestWarning,
    UnexpectedRequestError,
    UnfinishedStreamWarning,
    UnplayedInteractionsError,
)

__all__ = [
    "AmbiguousCassetteError",
    "AnswerConflictError",
    "AsyncClientNotSupported",
    "BedrockVCRError",
    "BedrockVCRWarning",
    "CallAssertionError",
    "Candidate",
    "CassetteError",
    "CassetteFormatError",
    "CassetteLockTimeout",
    "CassetteMovedWarning",
    "CassetteNotFoundError",
    "CassetteSchemaError",
    "ChecksumMismatch",
    "ConfigError",
    "DOCS",
    "DuplicateHeader",
    "EventStreamError",
    "InvalidHeader",
    "InvalidHeadersLength",
    "InvalidPayloadLength",
    "InvalidRequestError",
    "MockVerificationError",
    "NetworkBlockedError",
    "RecordingError",
    "RequestBodyError",
    "RouteExhaustedError",
    "SCHEMAS_DOCS",
    "SchemaDriftWarning",
    "SchemaNotFoundError",
    "SchemaPointerError",
    "SchemaValidationError",
    "SecretInCassetteError",
    "SecretRedactedWarning",
    "ServeConfigError",
    "SimulationError",
    "TruncatedFrame",
    "TruncatedStreamWarning",
    "UnusedIgnoreKeyWarning",
    "UncoveredRequestWarning",
    "UnexpectedRequestError",
    "UnfinishedStreamWarning",
    "UnknownModelError",
    "UnknownModelWarning",
    "UnmatchedRequestError",
    "UnplayedInteractionsError",
    "UnsupportedAnswerError",
    "UnsupportedOperationError",
    "VcrpyCassetteError",
    "did_you_mean",
]
