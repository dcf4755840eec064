"""The provider-neutral answer specs: :class:`Answer` (text, stop reason, token counts, timing,
tool calls) and :class:`Embedding`, each with the checks that refuse what a model cannot answer.
:class:`ToolCall` lives in :mod:`.render`, beside the encoders that read it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.models import ModelInfo, resolve_model
from ..errors import ConfigError, UnsupportedAnswerError
from .families import EMBEDDING_FAMILIES, NEUTRAL_STOP_REASONS, all_stop_reasons
from .render import ToolCall
from .selection import family_for, operations_of
from .tokens import split_text


@dataclass(frozen=True)
class Answer:
    """A text answer, described once for every model family.

    ``text``: the whole text, or the list of stream pieces (then it is streamed exactly so).
    ``stop_reason``: a neutral name (:data:`NEUTRAL_STOP_REASONS`) or a family's native value.
    ``input_tokens``/``output_tokens``: estimated when None (see :func:`estimate_tokens`); with
    ``length`` the output is made exactly the request's max-token setting.
    ``first_chunk_delay``: seconds until the first chunk (the whole answer for plain calls);
    ``chunk_delay``: seconds between chunks. ``chunk_size``: characters per stream piece when
    ``text`` is a string (default: one word per piece).
    ``tool_calls``: tools the model calls (needs the family's tool-use stop reason).
    ``stop_sequence``: the matched stop sequence for a ``stop_sequence`` stop.
    """

    text: str | Sequence[str] = "Hello! This is a simulated answer."
    stop_reason: str = "stop"
    input_tokens: int | None = None
    output_tokens: int | None = None
    first_chunk_delay: float = 0.0
    chunk_delay: float = 0.0
    chunk_size: int | None = None
    tool_calls: Sequence[ToolCall] = ()
    stop_sequence: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            pieces = tuple(self.text)
            if not all(isinstance(p, str) for p in pieces):
                raise ConfigError("Answer.text must be a string or a list of strings")
            object.__setattr__(self, "text", pieces)
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))
        if self.stop_reason not in all_stop_reasons():
            raise UnsupportedAnswerError(
                f"unknown stop reason {self.stop_reason!r}",
                valid=(*NEUTRAL_STOP_REASONS, "<a family's native value>"),
                fix="use a neutral name, or a native value listed by "
                "bedrock_vcr.simulation.stop_reasons(model_id)",
            )
        for name in ("input_tokens", "output_tokens"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ConfigError(f"Answer.{name} must be an integer >= 0, got {value!r}")
        for name in ("first_chunk_delay", "chunk_delay"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"Answer.{name} must be a number of seconds >= 0, got {value!r}")
        if self.chunk_size is not None and (
            not isinstance(self.chunk_size, int) or self.chunk_size < 1
        ):
            raise ConfigError(f"Answer.chunk_size must be an integer >= 1, got {self.chunk_size!r}")

    @property
    def full_text(self) -> str:
        return self.text if isinstance(self.text, str) else "".join(self.text)

    def pieces(self) -> list[str]:
        if isinstance(self.text, str):
            return split_text(self.text, self.chunk_size)
        return list(self.text)

    def check(
        self,
        model_id: str,
        operation: str | None = None,
        *,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        """Refuse (:class:`UnsupportedAnswerError`) what this model cannot answer.

        With ``operation`` None the answer must fit at least one operation the model supports
        (the error given is the one for ``InvokeModel``); serving it for another fails then.
        """
        info = resolve_model(model_id, overrides)
        if operation is not None:
            self._check_one(info, operation)
            return
        errors: list[UnsupportedAnswerError] = []
        for op in operations_of(info):
            try:
                self._check_one(info, op)
                return
            except UnsupportedAnswerError as exc:
                errors.append(exc)
        raise errors[0]

    def _check_one(self, info: ModelInfo, op: str) -> None:
        model_id = info.model_id
        family = family_for(info, op)
        native = family.require_stop(self.stop_reason, model_id=model_id, operation=op)
        if self.tool_calls and native not in family.tool_stops:
            raise UnsupportedAnswerError(
                "tool_calls need the family's tool-use stop reason",
                model_id=model_id,
                family=family.name,
                operation=op,
                valid=family.tool_stops or ("<none: this family does not call tools>",),
            )
        if native in family.tool_stops and not self.tool_calls:
            raise UnsupportedAnswerError(
                f"stop reason {self.stop_reason!r} means the model calls a tool, but the "
                "answer has no tool_calls",
                model_id=model_id,
                family=family.name,
                operation=op,
                fix="add tool_calls=[ToolCall(name, input)]",
            )
        if (
            native in family.length_stops
            and self.output_tokens is not None
            and info.max_tokens is not None
            and self.output_tokens > info.max_tokens
        ):
            raise UnsupportedAnswerError(
                f"a length stop after {self.output_tokens} tokens is impossible: the model "
                f"generates at most {info.max_tokens}",
                model_id=model_id,
                family=family.name,
                operation=op,
            )


@dataclass(frozen=True)
class Embedding:
    """An embedding answer: a vector per input text, deterministic from the text.

    ``vector``: use this vector (for every input) instead of the derived one; its length must
    be the requested dimension. ``input_tokens``: estimated from the input when None.
    ``latency``: seconds until the answer.
    """

    vector: Sequence[float] | None = None
    input_tokens: int | None = None
    latency: float = 0.0

    def check(
        self,
        model_id: str,
        operation: str | None = None,
        *,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        info = resolve_model(model_id, overrides)
        if info.family not in EMBEDDING_FAMILIES:
            raise UnsupportedAnswerError(
                "an Embedding answer needs an embedding model",
                model_id=model_id,
                family=info.family,
                operation=operation,
                valid=sorted(EMBEDDING_FAMILIES),
                fix="answer text models with Answer(...)",
            )
        if operation is not None and operation != "InvokeModel":
            raise UnsupportedAnswerError(
                "embedding models answer InvokeModel only (they do not stream or converse)",
                model_id=model_id,
                family=info.family,
                operation=operation,
                valid=("InvokeModel",),
            )
