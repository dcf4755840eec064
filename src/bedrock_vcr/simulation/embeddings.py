"""Embedding answers: deterministic pseudo-vectors in the native formats of Amazon Titan
Embeddings (V1, V2 with its dimensions, normalisation and embedding types) and Cohere Embed
(floats, or quantised per embedding type)."""

from __future__ import annotations

import hashlib
import math
import random
import struct
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.models import resolve_model
from ..cassettes.records import RecordedRequest, RecordedResponse
from ..errors import AnswerConflictError
from .answer import Embedding
from .render import json_body, request_id
from .tokens import estimate_tokens

_EMBED_DIMENSIONS = {
    "amazon.titan-embed-v1": 1536,
    "amazon.titan-embed-v2": 1024,
    "cohere.embed": 1024,
}


def embedding_vector(text: str, dimensions: int, *, normalize: bool = True) -> list[float]:
    """A deterministic pseudo-embedding of ``text`` (same text, same vector)."""
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    rng = random.Random(seed)
    vector = [rng.uniform(-1.0, 1.0) for _ in range(dimensions)]
    if normalize:
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        vector = [v / norm for v in vector]
    # round-trip through float32 as the service's vectors are single precision
    return [struct.unpack("f", struct.pack("f", v))[0] for v in vector]


def build_embedding(
    answer: Embedding, request: RecordedRequest, overrides: Mapping[str, str] | None
) -> RecordedResponse:
    answer.check(request.model_id, request.operation, overrides=overrides)
    family = resolve_model(request.model_id, overrides).family
    body = request.json if isinstance(request.json, Mapping) else {}
    dims = _EMBED_DIMENSIONS[family]
    if family == "amazon.titan-embed-v2":
        dims = int(body.get("dimensions", dims))
    normalize = bool(body.get("normalize", True)) if family == "amazon.titan-embed-v2" else False
    texts = (
        list(body.get("texts", []))
        if family == "cohere.embed"
        else [str(body.get("inputText", ""))]
    )
    if answer.vector is not None and len(answer.vector) != dims:
        raise AnswerConflictError(
            f"the declared vector has {len(answer.vector)} dimensions, the request asks for {dims}",
            model_id=request.model_id,
            operation=request.operation,
            fix=f"declare a vector of {dims} numbers or omit it",
        )
    vectors = [
        list(answer.vector)
        if answer.vector is not None
        else embedding_vector(t, dims, normalize=normalize)
        for t in texts
    ]
    input_tokens = (
        answer.input_tokens
        if answer.input_tokens is not None
        else sum(estimate_tokens(t) for t in texts)
    )
    payload: dict[str, Any]
    if family == "cohere.embed":
        types = body.get("embedding_types")
        seed = hashlib.sha256("|".join(texts).encode()).hexdigest()
        payload = {"id": str(uuid.UUID(seed[:32])), "texts": texts}
        if types:
            payload["response_type"] = "embeddings_by_type"
            payload["embeddings"] = {t: [_quantize(v, t) for v in vectors] for t in types}
        else:
            payload["response_type"] = "embeddings_floats"
            payload["embeddings"] = vectors
    else:
        payload = {"embedding": vectors[0], "inputTextTokenCount": input_tokens}
        if family == "amazon.titan-embed-v2":
            types = body.get("embeddingTypes") or ["float"]
            payload["embeddingsByType"] = {
                t: _quantize(vectors[0], "titan-binary" if t == "binary" else t) for t in types
            }
    headers = {
        "content-type": "application/json",
        "x-amzn-requestid": request_id(),
        "x-amzn-bedrock-invocation-latency": str(int(round(answer.latency * 1000))),
        "x-amzn-bedrock-input-token-count": str(input_tokens),
    }
    return RecordedResponse(200, headers, body=json_body(payload), latency=answer.latency)


def _quantize(vector: Sequence[float], kind: str) -> list[Any]:
    if kind == "float":
        return list(vector)
    if kind == "int8":
        return [max(-128, min(127, round(v * 127))) for v in vector]
    if kind == "uint8":
        return [max(0, min(255, round((v + 1) * 127.5))) for v in vector]
    bits = [1 if v > 0 else 0 for v in vector]
    if kind == "titan-binary":  # Titan V2: one 0/1 value per dimension
        return bits
    if kind in ("binary", "ubinary"):  # Cohere: 8 dimensions packed per (u)int8
        packed = []
        for i in range(0, len(bits), 8):
            byte = 0
            for bit in bits[i : i + 8]:
                byte = (byte << 1) | bit
            packed.append(byte - 128 if kind == "binary" else byte)
        return packed
    return list(vector)
