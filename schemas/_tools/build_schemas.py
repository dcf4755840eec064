"""Build the JSON Schemas in ``schemas/`` (run from the repository root).

    python schemas/_tools/build_schemas.py          # (re)write every schemas/*.json
    python schemas/_tools/build_schemas.py --check  # exit 1 if a committed file is stale

The native InvokeModel schemas are written out by hand below, with small helpers so that every
property carries a description. The Converse / ConverseStream schemas are derived from botocore's
service model for ``bedrock-runtime`` (shape names, types, ranges, enums and required members);
their descriptions are generated from that metadata plus a short glossary of our own.

Conventions shared by every file:

* requests are closed (``additionalProperties: false``): Bedrock answers an unknown key with
  ``#: extraneous key [...] is not permitted``;
* responses and stream chunks are open: Bedrock adds fields over time (the real recordings hold
  ``cacheReadInputTokenCount`` and ``serverToolUsage``, which the service model does not list),
  and every SDK ignores keys it does not know, so an extra key is not a violation;
* per-model differences (Titan maxima, Llama vision, Jamba on the streaming operation) live in
  ``$defs/variants/<name>``; the resolver in ``bedrock_vcr.bedrock.models`` names the variants that apply
  and ``bedrock_vcr.validation.schemas`` adds them to the root with ``allOf``.
"""

from __future__ import annotations

import copy
import gzip
import json
import sys
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parents[1]
DRAFT = "https://json-schema.org/draft/2020-12/schema"
ID_PREFIX = "urn:bedrock-vcr:schema:"
VARIANT_PREFIX = "variant-"

Schema = dict[str, Any]


# --- helpers -----------------------------------------------------------------------------------


def string(desc: str, **kw: Any) -> Schema:
    return {"type": "string", "description": desc, **kw}


def integer(desc: str, **kw: Any) -> Schema:
    return {"type": "integer", "description": desc, **kw}


def number(desc: str, **kw: Any) -> Schema:
    return {"type": "number", "description": desc, **kw}


def boolean(desc: str, **kw: Any) -> Schema:
    return {"type": "boolean", "description": desc, **kw}


def array(items: Schema, desc: str, **kw: Any) -> Schema:
    return {"type": "array", "items": items, "description": desc, **kw}


def nullable(schema: Schema) -> Schema:
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def anything(desc: str) -> Schema:
    return {"description": desc}


def obj(
    props: dict[str, Schema],
    required: tuple[str, ...] = (),
    *,
    closed: bool = True,
    desc: str | None = None,
    **kw: Any,
) -> Schema:
    out: Schema = {"type": "object"}
    if desc:
        out["description"] = desc
    out["properties"] = props
    if required:
        out["required"] = list(required)
    if closed:
        out["additionalProperties"] = False
    out.update(kw)
    return out


def document(
    name: str, title: str, desc: str, root: Schema, defs: dict[str, Any] | None = None
) -> Schema:
    out: Schema = {"$schema": DRAFT, "$id": ID_PREFIX + name, "title": title, "description": desc}
    out.update(root)
    variants = out.get("$defs", {}).pop("variants", None)
    if variants:
        for vname, vschema in variants.items():
            out["$defs"][VARIANT_PREFIX + vname] = vschema
    if defs:
        out["$defs"] = {**out.get("$defs", {}), **defs}
    return out


def string_list(desc: str, **kw: Any) -> Schema:
    return array(string("One entry of the list."), desc, **kw)


# --- shared pieces -----------------------------------------------------------------------------


def invocation_metrics() -> Schema:
    count = "Token count reported by Bedrock for the whole invocation (integer, >= 0)."
    return obj(
        {
            "inputTokenCount": integer("Input (prompt) tokens billed. " + count, minimum=0),
            "outputTokenCount": integer("Output tokens generated. " + count, minimum=0),
            "invocationLatency": integer(
                "Milliseconds from request receipt to the last byte of the answer (>= 0).",
                minimum=0,
            ),
            "firstByteLatency": integer(
                "Milliseconds from request receipt to the first chunk of the answer (>= 0).",
                minimum=0,
            ),
            "cacheReadInputTokenCount": integer(
                "Input tokens served from the prompt cache (>= 0). Present for Nova (seen in "
                "real recordings, always with cacheWriteInputTokenCount) and models with prompt "
                "caching; absent otherwise.",
                minimum=0,
            ),
            "cacheWriteInputTokenCount": integer(
                "Input tokens written to the prompt cache (>= 0); see cacheReadInputTokenCount.",
                minimum=0,
            ),
        },
        ("inputTokenCount", "outputTokenCount", "invocationLatency", "firstByteLatency"),
        closed=False,
        desc=(
            "Bedrock's own usage summary, added as the top-level key "
            "`amazon-bedrock-invocationMetrics` to the decoded JSON of the final chunk of an "
            "InvokeModelWithResponseStream answer (the chunk whose stop reason is set; for Claude "
            "the `message_stop` chunk, for Nova the `metadata` chunk - both confirmed by the "
            "real recordings). Open: new counters may appear."
        ),
    )


def bedrock_extras() -> dict[str, Schema]:
    """Keys Bedrock itself adds to native answers and chunks (not produced by the model)."""
    return {
        "amazon-bedrock-invocationMetrics": {
            "$ref": "#/$defs/invocationMetrics",
            "description": "Bedrock's usage summary; on the final stream chunk only.",
        },
        "amazon-bedrock-guardrailAction": string(
            "Added by Bedrock when a guardrail is attached: `INTERVENED` or `NONE`. Seen in "
            "real recordings on every chunk of a guarded stream and on guarded responses.",
            enum=["INTERVENED", "NONE"],
        ),
        "amazon-bedrock-trace": obj(
            {},
            closed=False,
            desc=(
                "Guardrail trace added by Bedrock when the request enabled tracing "
                "(`X-Amzn-Bedrock-Trace`); free-form object with a `guardrail` key."
            ),
        ),
    }


def with_metrics(root: Schema) -> Schema:
    root.setdefault("$defs", {})["invocationMetrics"] = invocation_metrics()
    return root


# --- Meta Llama --------------------------------------------------------------------------------


def llama() -> list[Schema]:
    request = obj(
        {
            "prompt": string(
                "The prompt text, already formatted with the model's chat template "
                "(Llama 2 `[INST]`, Llama 3 `<|begin_of_text|>` headers). Required."
            ),
            "temperature": number(
                "Sampling temperature; lower is more deterministic. Default 0.5, range 0-1.",
                minimum=0,
                maximum=1,
            ),
            "top_p": number(
                "Nucleus sampling: keep the smallest token set whose probability reaches top_p. "
                "Default 0.9, range 0-1.",
                minimum=0,
                maximum=1,
            ),
            "max_gen_len": integer(
                "Maximum number of tokens to generate. Default 512, range 1-2048 (the limit "
                "AWS documents for every Llama generation on Bedrock).",
                minimum=1,
                maximum=2048,
            ),
            "images": array(
                string("One image, base64-encoded (JPEG or PNG)."),
                "Images for the vision models (Llama 3.2 11B/90B and Llama 4). The prompt marks "
                "where each goes with `<|image|>`. Other Llama models reject the key "
                "(variant `text`). No limit enforced here: the exact count limit is not "
                "documented.",
            ),
        },
        ("prompt",),
        desc="InvokeModel request body for Meta Llama (2, 2 Chat, 3, 3.1, 3.2, 3.3, 4).",
    )
    request["$defs"] = {
        "variants": {
            "text": {
                "description": "Llama models without vision: `images` is an extraneous key.",
                "propertyNames": {"not": {"const": "images"}},
            }
        }
    }
    stop = ["stop", "length"]
    response = obj(
        {
            "generation": string("The generated text."),
            "prompt_token_count": integer("Tokens in the prompt (>= 0).", minimum=0),
            "generation_token_count": integer("Tokens generated (>= 0).", minimum=0),
            "stop_reason": string(
                "`stop`: the model finished (end token or stop condition); `length`: "
                "max_gen_len was reached.",
                enum=stop,
            ),
            **bedrock_extras(),
        },
        ("generation", "prompt_token_count", "generation_token_count", "stop_reason"),
        closed=False,
        desc="InvokeModel response body for Meta Llama.",
    )
    chunk = obj(
        {
            "generation": string("The text generated since the previous chunk."),
            "prompt_token_count": nullable(
                integer("Prompt tokens: set on the first chunk, null afterwards (>= 0).", minimum=0)
            ),
            "generation_token_count": integer(
                "Running count of generated tokens (>= 0).", minimum=0
            ),
            "stop_reason": nullable(
                string("Null until the last chunk, then `stop` or `length`.", enum=stop)
            ),
            **bedrock_extras(),
        },
        ("generation",),
        closed=False,
        desc=(
            "Decoded chunk of an InvokeModelWithResponseStream answer for Meta Llama. There is "
            "no real Llama stream recording; the shape follows AWS examples."
        ),
    )
    return [
        document("meta.llama.request", "Meta Llama request", request.pop("description"), request),
        document(
            "meta.llama.response",
            "Meta Llama response",
            response.pop("description"),
            with_metrics(response),
        ),
        document(
            "meta.llama.chunk",
            "Meta Llama stream chunk",
            chunk.pop("description"),
            with_metrics(chunk),
        ),
    ]


# --- Amazon Titan Text -------------------------------------------------------------------------

TITAN_MAXIMA = {"lite": 4096, "express": 8192, "premier": 3072}
TITAN_REASONS = [
    "FINISH",
    "FINISHED",
    "LENGTH",
    "STOP_CRITERIA_MET",
    "RAG_QUERY_WHEN_RAG_DISABLED",
    "CONTENT_FILTERED",
]
TITAN_REASON_DESC = (
    "Why generation stopped. AWS documents `FINISHED`, `LENGTH`, `STOP_CRITERIA_MET`, "
    "`RAG_QUERY_WHEN_RAG_DISABLED` and `CONTENT_FILTERED`; every real recording of a finished "
    "Titan answer says `FINISH` instead, so both spellings are accepted."
)


def titan_text() -> list[Schema]:
    config = obj(
        {
            "temperature": number(
                "Sampling temperature. Default 0.7, range 0-1.", minimum=0, maximum=1
            ),
            "topP": number(
                "Nucleus sampling threshold. Default 0.9, range 0-1.", minimum=0, maximum=1
            ),
            "maxTokenCount": integer(
                "Maximum tokens to generate. Default 512, minimum 0; the maximum depends on the "
                "model: Lite 4096, Express 8192, Premier 3072 (variants `lite`, `express`, "
                "`premier`).",
                minimum=0,
            ),
            "stopSequences": string_list(
                "Strings that stop generation when produced (for example `User:`). No default."
            ),
        },
        desc="Generation settings; every member is optional.",
    )
    request = obj(
        {
            "inputText": string(
                "The prompt. For chat style use `User: ...\\nBot:`. Required.",
            ),
            "textGenerationConfig": config,
        },
        ("inputText",),
        desc="InvokeModel request body for Amazon Titan Text Lite, Express and Premier.",
    )
    request["$defs"] = {
        "variants": {
            name: {
                "description": f"Titan Text {name.title()}: maxTokenCount at most {maximum}.",
                "properties": {
                    "textGenerationConfig": {
                        "description": "Generation settings (per-model maximum).",
                        "properties": {
                            "maxTokenCount": {
                                "description": f"At most {maximum} on Titan Text {name.title()}.",
                                "maximum": maximum,
                            }
                        },
                    }
                },
            }
            for name, maximum in TITAN_MAXIMA.items()
        }
    }
    response = obj(
        {
            "inputTextTokenCount": integer("Tokens in inputText (>= 0).", minimum=0),
            "results": array(
                obj(
                    {
                        "tokenCount": integer("Tokens generated (>= 0).", minimum=0),
                        "outputText": string("The generated text."),
                        "completionReason": string(TITAN_REASON_DESC, enum=TITAN_REASONS),
                    },
                    ("outputText",),
                    closed=False,
                    desc="One generation.",
                ),
                "Generations; Titan Text always returns exactly one.",
                minItems=1,
            ),
            **bedrock_extras(),
        },
        ("results",),
        closed=False,
        desc="InvokeModel response body for Amazon Titan Text.",
    )
    chunk = obj(
        {
            "outputText": string("Text generated since the previous chunk."),
            "index": integer(
                "Index of the generation (always 0). Real recordings send it as `0.0`; a float "
                "with no fraction is accepted as an integer.",
                minimum=0,
            ),
            "totalOutputTextTokenCount": integer(
                "Running count of generated tokens; real recordings omit it on early chunks.",
                minimum=0,
            ),
            "inputTextTokenCount": nullable(
                integer("Prompt tokens; present on the first chunk only.", minimum=0)
            ),
            "completionReason": nullable(
                string(
                    TITAN_REASON_DESC + " Absent or null until the last chunk.", enum=TITAN_REASONS
                )
            ),
            **bedrock_extras(),
        },
        ("outputText",),
        closed=False,
        desc="Decoded chunk of an InvokeModelWithResponseStream answer for Amazon Titan Text.",
    )
    return [
        document(
            "amazon.titan-text.request",
            "Amazon Titan Text request",
            request.pop("description"),
            request,
        ),
        document(
            "amazon.titan-text.response",
            "Amazon Titan Text response",
            response.pop("description"),
            with_metrics(response),
        ),
        document(
            "amazon.titan-text.chunk",
            "Amazon Titan Text stream chunk",
            chunk.pop("description"),
            with_metrics(chunk),
        ),
    ]


# --- AI21 --------------------------------------------------------------------------------------


def jamba() -> list[Schema]:
    message = obj(
        {
            "role": string(
                "Author of the message: `system`, `user` or `assistant`.",
                enum=["system", "user", "assistant"],
            ),
            "content": string("Text of the message."),
        },
        ("role", "content"),
        desc="One chat message.",
    )
    request = obj(
        {
            "messages": array(
                message,
                "The conversation, oldest first. At least one user or assistant message "
                "(about 256K tokens in total).",
                minItems=1,
                contains={
                    "properties": {
                        "role": {
                            "description": "A user or assistant message.",
                            "enum": ["user", "assistant"],
                        }
                    }
                },
            ),
            "temperature": number(
                "Sampling temperature. Default 1.0, range 0-2.", minimum=0, maximum=2
            ),
            "top_p": number(
                "Nucleus sampling threshold. Default 1.0, range 0.01-1.0 (AWS documents the "
                "lower bound as 0.01).",
                minimum=0.01,
                maximum=1,
            ),
            "max_tokens": integer(
                "Maximum tokens to generate. Default 4096, range 0-4096.", minimum=0, maximum=4096
            ),
            "stop": array(
                string("One stop string, up to 64K characters.", maxLength=65536),
                "Strings that end generation; the stop text is not included in the output.",
            ),
            "n": integer(
                "Number of completions to generate. Default 1, range 1-16. Must be 1 on "
                "InvokeModelWithResponseStream (variant `streaming`) and when temperature is 0.",
                minimum=1,
                maximum=16,
            ),
            "frequency_penalty": number(
                "Penalty for tokens in proportion to how often they already appeared. No "
                "documented default or range, so any number is accepted."
            ),
            "presence_penalty": number(
                "Penalty for tokens that already appeared at least once. No documented default "
                "or range, so any number is accepted."
            ),
        },
        ("messages",),
        desc="InvokeModel request body for AI21 Jamba-Instruct and Jamba 1.5 Mini/Large.",
    )
    request["if"] = {
        "required": ["temperature", "n"],
        "properties": {"temperature": {"description": "Temperature 0.", "const": 0}},
    }
    request["then"] = {
        "properties": {
            "n": {
                "description": "With temperature 0 all completions are equal: n must be 1.",
                "maximum": 1,
            }
        }
    }
    request["$defs"] = {
        "variants": {
            "streaming": {
                "description": "InvokeModelWithResponseStream returns one completion: n must be 1.",
                "properties": {
                    "n": {"description": "Must be 1 when streaming.", "const": 1},
                },
            }
        }
    }
    finish = ["stop", "length", "content_filter", "tool_calls"]
    usage = obj(
        {
            "prompt_tokens": integer("Tokens in the prompt.", minimum=0),
            "completion_tokens": integer("Tokens generated.", minimum=0),
            "total_tokens": integer("prompt_tokens + completion_tokens.", minimum=0),
        },
        closed=False,
        desc="Token usage.",
    )
    response = obj(
        {
            "id": string("Identifier of the completion."),
            "model": string("Model name as reported by AI21 (not always present)."),
            "choices": array(
                obj(
                    {
                        "index": integer("Position of this choice.", minimum=0),
                        "message": obj(
                            {
                                "role": string("Always `assistant`."),
                                "content": nullable(string("The generated text.")),
                                "tool_calls": array(
                                    obj({}, closed=False, desc="One tool call."),
                                    "Tool calls (Jamba 1.5).",
                                ),
                            },
                            closed=False,
                            desc="The generated message.",
                        ),
                        "finish_reason": nullable(
                            string(
                                "`stop`, `length`; `content_filter` and `tool_calls` are "
                                "accepted too (seen in AI21's own API).",
                                enum=finish,
                            )
                        ),
                    },
                    closed=False,
                    desc="One completion.",
                ),
                "Completions, n of them.",
            ),
            "usage": usage,
            "meta": obj({}, closed=False, desc="Extra metadata (request duration)."),
            **bedrock_extras(),
        },
        ("choices",),
        closed=False,
        desc="InvokeModel response body for AI21 Jamba.",
    )
    chunk = obj(
        {
            "id": string("Identifier of the completion."),
            "choices": array(
                obj(
                    {
                        "index": integer("Position of this choice.", minimum=0),
                        "delta": obj(
                            {
                                "role": string("`assistant`, on the first chunk."),
                                "content": nullable(string("Text since the previous chunk.")),
                            },
                            closed=False,
                            desc="The increment.",
                        ),
                        "finish_reason": nullable(
                            string("Null until the last chunk.", enum=finish)
                        ),
                    },
                    closed=False,
                    desc="One streamed choice.",
                ),
                "The streamed choice (n is 1 when streaming).",
            ),
            "usage": nullable({**usage, "type": "object"}),
            **bedrock_extras(),
        },
        closed=False,
        desc=(
            "Decoded chunk of an InvokeModelWithResponseStream answer for AI21 Jamba (OpenAI-"
            "style deltas). No real recording exists; the shape is kept open."
        ),
    )
    chunk["properties"]["usage"]["description"] = "Token usage, on the last chunk."
    return [
        document("ai21.jamba.request", "AI21 Jamba request", request.pop("description"), request),
        document(
            "ai21.jamba.response",
            "AI21 Jamba response",
            response.pop("description"),
            with_metrics(response),
        ),
        document(
            "ai21.jamba.chunk",
            "AI21 Jamba stream chunk",
            chunk.pop("description"),
            with_metrics(chunk),
        ),
    ]


def jurassic() -> list[Schema]:
    penalty = obj(
        {
            "scale": number("Strength of the penalty.", minimum=0),
            "applyToWhitespaces": boolean("Apply to whitespace tokens."),
            "applyToPunctuations": boolean("Apply to punctuation tokens."),
            "applyToNumbers": boolean("Apply to number tokens."),
            "applyToStopwords": boolean("Apply to stop words."),
            "applyToEmojis": boolean("Apply to emojis."),
        },
        ("scale",),
        desc="A repetition penalty.",
    )
    request = obj(
        {
            "prompt": string("The prompt text. Required."),
            "temperature": number(
                "Sampling temperature. Default 0.5, range 0-1.", minimum=0, maximum=1
            ),
            "topP": number(
                "Nucleus sampling threshold. Default 0.5, range 0-1.", minimum=0, maximum=1
            ),
            "maxTokens": integer(
                "Maximum tokens to generate. Default 200, range 0-8191.", minimum=0, maximum=8191
            ),
            "minTokens": integer("Minimum tokens to generate. Default 0.", minimum=0),
            "numResults": integer(
                "Number of completions. Default 1, range 1-16.", minimum=1, maximum=16
            ),
            "topKReturn": integer(
                "Alternative tokens returned per position. Default 0, 0-10.", minimum=0, maximum=10
            ),
            "stopSequences": string_list("Strings that stop generation."),
            "countPenalty": {**penalty, "description": "Penalty by occurrence count."},
            "presencePenalty": {**penalty, "description": "Penalty for presence."},
            "frequencyPenalty": {**penalty, "description": "Penalty by frequency."},
        },
        ("prompt",),
        desc=(
            "InvokeModel request body for the legacy AI21 Jurassic-2 models (`ai21.j2-*`), "
            "which appear in the real recordings."
        ),
    )
    token = obj({}, closed=False, desc="One token with its log-probability and text range.")
    response = obj(
        {
            "id": {"type": ["integer", "string"], "description": "Identifier of the answer."},
            "prompt": obj(
                {
                    "text": string("The prompt as received."),
                    "tokens": array(token, "The prompt's tokens."),
                },
                closed=False,
                desc="The prompt and its tokens.",
            ),
            "completions": array(
                obj(
                    {
                        "data": obj(
                            {
                                "text": string("The generated text."),
                                "tokens": array(token, "The generated tokens."),
                            },
                            ("text",),
                            closed=False,
                            desc="The generation.",
                        ),
                        "finishReason": obj(
                            {
                                "reason": string(
                                    "`endoftext`, `length` or `stop` (real recordings show "
                                    "`endoftext`)."
                                ),
                                "length": integer("Token limit that was hit."),
                                "sequence": string("Stop sequence that was hit."),
                            },
                            ("reason",),
                            closed=False,
                            desc="Why generation stopped.",
                        ),
                    },
                    ("data",),
                    closed=False,
                    desc="One completion.",
                ),
                "Completions, numResults of them.",
                minItems=1,
            ),
            **bedrock_extras(),
        },
        ("completions",),
        closed=False,
        desc="InvokeModel response body for AI21 Jurassic-2 (no streaming support).",
    )
    return [
        document("ai21.j2.request", "AI21 Jurassic-2 request", request.pop("description"), request),
        document(
            "ai21.j2.response",
            "AI21 Jurassic-2 response",
            response.pop("description"),
            with_metrics(response),
        ),
    ]


# --- Anthropic Claude --------------------------------------------------------------------------


def _dispatch(tag: str, cases: dict[str, Schema]) -> list[Schema]:
    """``if tag == X then schema`` for each case (keeps error paths precise, unlike oneOf)."""
    return [
        {
            "if": {
                "properties": {tag: {"const": value, "description": f"Selects `{value}`."}},
                "required": [tag],
            },
            "then": schema,
        }
        for value, schema in cases.items()
    ]


def claude_messages() -> list[Schema]:
    cache_control = obj(
        {
            "type": string("Cache type; only `ephemeral`.", enum=["ephemeral"]),
            "ttl": string("Cache lifetime, `5m` (default) or `1h`.", enum=["5m", "1h"]),
        },
        ("type",),
        desc="Marks the end of a prompt-cache prefix.",
    )
    source = obj(
        {
            "type": string(
                "`base64` (inline data), `url`, `text` or `content`.",
                enum=["base64", "url", "text", "content"],
            ),
            "media_type": string("MIME type, e.g. `image/png` or `application/pdf`."),
            "data": string("The base64 data (or text for text documents)."),
            "url": string("URL of the data (type `url`)."),
            "content": anything("Content blocks (type `content`)."),
        },
        ("type",),
        desc="Where the image or document comes from.",
    )
    block_props: dict[str, Schema] = {
        "type": string(
            "Kind of block: `text`, `image`, `document`, `tool_use`, `tool_result`, "
            "`thinking`, `redacted_thinking`.",
            enum=[
                "text",
                "image",
                "document",
                "tool_use",
                "tool_result",
                "thinking",
                "redacted_thinking",
            ],
        ),
        "text": string("Text of a `text` block."),
        "source": source,
        "id": string("Identifier of a `tool_use` block."),
        "name": string("Tool name of a `tool_use` block."),
        "input": obj({}, closed=False, desc="Arguments of a `tool_use` block (a JSON object)."),
        "tool_use_id": string("The `tool_use` id a `tool_result` answers."),
        "content": anything("Result of a `tool_result`: a string or a list of blocks."),
        "is_error": boolean("Marks a `tool_result` as an error. Default false."),
        "cache_control": cache_control,
        "title": string("Title of a `document` block."),
        "context": string("Context of a `document` block."),
        "citations": anything("Citation settings (documents) or citations (text)."),
        "thinking": string("Reasoning text of a `thinking` block."),
        "signature": string("Signature of a `thinking` block."),
        "data": string("Opaque data of a `redacted_thinking` block."),
    }
    block = obj(
        block_props,
        ("type",),
        desc="A content block.",
        allOf=_dispatch(
            "type",
            {
                "text": {"required": ["text"]},
                "image": {"required": ["source"]},
                "document": {"required": ["source"]},
                "tool_use": {"required": ["id", "name", "input"]},
                "tool_result": {"required": ["tool_use_id"]},
                "thinking": {"required": ["thinking"]},
                "redacted_thinking": {"required": ["data"]},
            },
        ),
    )
    message = obj(
        {
            "role": string(
                "`user` or `assistant`; turns alternate, the first is `user`.",
                enum=["user", "assistant"],
            ),
            "content": {
                "description": "A string (one text block) or a list of content blocks.",
                "type": ["string", "array"],
                "items": {"$ref": "#/$defs/block"},
            },
        },
        ("role", "content"),
        desc="One turn of the conversation.",
    )
    tool = obj(
        {
            "name": string("Tool name, 1-64 of `[a-zA-Z0-9_-]`.", pattern="^[a-zA-Z0-9_-]{1,64}$"),
            "description": string("What the tool does."),
            "input_schema": obj({}, closed=False, desc="JSON Schema of the tool's input."),
            "type": string("Type of an Anthropic-defined tool (e.g. `bash_20250124`)."),
            "cache_control": cache_control,
        },
        ("name",),
        closed=False,
        desc="A tool the model may call.",
    )
    request = obj(
        {
            "anthropic_version": string(
                "API version; must be `bedrock-2023-05-31`. Required.",
                enum=["bedrock-2023-05-31"],
            ),
            "anthropic_beta": string_list("Beta feature flags, e.g. `computer-use-2024-10-22`."),
            "max_tokens": integer(
                "Maximum tokens to generate (>= 1; the maximum depends on the model). Required.",
                minimum=1,
            ),
            "messages": array(
                {"$ref": "#/$defs/message"}, "The conversation. Required.", minItems=1
            ),
            "system": {
                "description": "System prompt: a string or a list of text blocks.",
                "type": ["string", "array"],
                "items": {"$ref": "#/$defs/block"},
            },
            "temperature": number(
                "Sampling temperature. Default 1, range 0-1.", minimum=0, maximum=1
            ),
            "top_p": number(
                "Nucleus sampling threshold, range 0-1 (Bedrock default 0.999).",
                minimum=0,
                maximum=1,
            ),
            "top_k": integer(
                "Sample only from the k most likely tokens. Disabled by default; range 0-500.",
                minimum=0,
                maximum=500,
            ),
            "stop_sequences": string_list("Strings that stop generation."),
            "tools": array(tool, "Tools the model may call."),
            "tool_choice": obj(
                {
                    "type": string(
                        "`auto`, `any`, `tool` or `none`.", enum=["auto", "any", "tool", "none"]
                    ),
                    "name": string("Tool to call when type is `tool`."),
                    "disable_parallel_tool_use": boolean("Allow at most one tool call."),
                },
                ("type",),
                desc="How the model chooses tools. Default `auto`.",
            ),
            "thinking": obj(
                {
                    "type": string("`enabled` or `disabled`.", enum=["enabled", "disabled"]),
                    "budget_tokens": integer("Token budget for reasoning (>= 1024).", minimum=1024),
                },
                ("type",),
                desc="Extended thinking (Claude 3.7 and later).",
            ),
            "metadata": obj({"user_id": string("Opaque end-user id.")}, desc="Request metadata."),
        },
        ("anthropic_version", "max_tokens", "messages"),
        desc=(
            "InvokeModel request body for Anthropic Claude, Messages API (all Claude 3+ models; "
            "Claude 2 accepts it too, as the real recordings show). There is no `model` and no "
            "`stream` key on Bedrock: the URL and the operation choose them."
        ),
    )
    request["$defs"] = {"block": block, "message": message}

    stop = [
        "end_turn",
        "max_tokens",
        "stop_sequence",
        "tool_use",
        "pause_turn",
        "refusal",
        "model_context_window_exceeded",
    ]
    usage = obj(
        {
            "input_tokens": integer(
                "Input tokens not read from or written to the cache.", minimum=0
            ),
            "output_tokens": integer("Output tokens.", minimum=0),
            "cache_creation_input_tokens": integer(
                "Tokens written to the prompt cache.", minimum=0
            ),
            "cache_read_input_tokens": integer("Tokens read from the prompt cache.", minimum=0),
        },
        closed=False,
        desc="Token usage.",
    )
    out_block = obj(
        {
            "type": string("`text`, `tool_use`, `thinking`, `redacted_thinking` and newer kinds."),
            "text": string("Text of a `text` block."),
            "id": string("Id of a `tool_use` block."),
            "name": string("Tool of a `tool_use` block."),
            "input": obj({}, closed=False, desc="Arguments of a `tool_use` block."),
        },
        ("type",),
        closed=False,
        desc="A generated content block.",
    )
    message_props: dict[str, Schema] = {
        "id": string("Message id, `msg_bdrk_...`."),
        "type": string("Always `message`.", const="message"),
        "role": string("Always `assistant`.", const="assistant"),
        "model": string("Model name as Anthropic reports it, e.g. `claude-3-sonnet-20240229`."),
        "content": array(out_block, "Generated blocks."),
        "stop_reason": nullable(string("Why generation stopped.", enum=stop)),
        "stop_sequence": nullable(string("The stop sequence that matched, else null.")),
        "usage": usage,
    }
    response = obj(
        {**message_props, **bedrock_extras()},
        ("type", "role", "content", "stop_reason", "usage"),
        closed=False,
        desc="InvokeModel response body for the Claude Messages API.",
    )
    delta = obj(
        {
            "type": string(
                "`text_delta`, `input_json_delta`, `thinking_delta`, `signature_delta`, "
                "`citations_delta`."
            ),
            "text": string("Text increment (`text_delta`)."),
            "partial_json": string("JSON fragment of tool input (`input_json_delta`)."),
            "thinking": string("Reasoning increment."),
            "signature": string("Signature of the thinking block."),
            "stop_reason": nullable(string("Stop reason (in `message_delta`).", enum=stop)),
            "stop_sequence": nullable(string("Matched stop sequence (in `message_delta`).")),
        },
        closed=False,
        desc="The increment.",
    )
    chunk = obj(
        {
            "type": string(
                "Event type. `ping` and `error` are included for completeness; Bedrock turns "
                "model errors into stream exception frames instead.",
                enum=[
                    "message_start",
                    "content_block_start",
                    "content_block_delta",
                    "content_block_stop",
                    "message_delta",
                    "message_stop",
                    "ping",
                    "error",
                ],
            ),
            "message": obj(
                message_props, closed=False, desc="The message so far (`message_start`)."
            ),
            "index": integer("Index of the content block.", minimum=0),
            "content_block": {**out_block, "description": "Block being opened."},
            "delta": delta,
            "usage": {**usage, "description": "Usage update (`message_delta`)."},
            "error": obj({}, closed=False, desc="Error details (`error`)."),
            **bedrock_extras(),
        },
        ("type",),
        closed=False,
        desc=(
            "Decoded chunk of an InvokeModelWithResponseStream answer for the Claude Messages "
            "API. `amazon-bedrock-invocationMetrics` arrives on `message_stop` (confirmed by "
            "the real recordings)."
        ),
        allOf=_dispatch(
            "type",
            {
                "message_start": {"required": ["message"]},
                "content_block_start": {"required": ["index", "content_block"]},
                "content_block_delta": {"required": ["index", "delta"]},
                "content_block_stop": {"required": ["index"]},
                "message_delta": {"required": ["delta"]},
            },
        ),
    )
    return [
        document(
            "anthropic.claude-messages.request",
            "Claude Messages API request",
            request.pop("description"),
            request,
        ),
        document(
            "anthropic.claude-messages.response",
            "Claude Messages API response",
            response.pop("description"),
            with_metrics(response),
        ),
        document(
            "anthropic.claude-messages.chunk",
            "Claude Messages API stream chunk",
            chunk.pop("description"),
            with_metrics(chunk),
        ),
    ]


def claude_text() -> list[Schema]:
    stop = ["stop_sequence", "max_tokens"]
    request = obj(
        {
            "prompt": string("Prompt in `\\n\\nHuman: ...\\n\\nAssistant:` form. Required."),
            "max_tokens_to_sample": integer(
                "Maximum tokens to generate (>= 1). Required.", minimum=1
            ),
            "temperature": number(
                "Sampling temperature. Default 1, range 0-1.", minimum=0, maximum=1
            ),
            "top_p": number("Nucleus sampling threshold, range 0-1.", minimum=0, maximum=1),
            "top_k": integer("Top-k sampling, range 0-500.", minimum=0, maximum=500),
            "stop_sequences": string_list(
                "Strings that stop generation (`\\n\\nHuman:` is always one)."
            ),
            "anthropic_version": string(
                "API version, `bedrock-2023-05-31`. Optional here: the real recording of a "
                "Claude v2.1 text completion omits it.",
                enum=["bedrock-2023-05-31"],
            ),
        },
        ("prompt", "max_tokens_to_sample"),
        desc=(
            "InvokeModel request body for the legacy Claude Text Completions API (Claude "
            "Instant, v2, v2.1). A body with `messages` is checked against the Messages API "
            "schema instead."
        ),
    )
    response = obj(
        {
            "type": string("Always `completion`.", const="completion"),
            "completion": string("The generated text."),
            "stop_reason": nullable(string("`stop_sequence` or `max_tokens`.", enum=stop)),
            "stop": nullable(string("The stop sequence that matched.")),
            **bedrock_extras(),
        },
        ("completion", "stop_reason"),
        closed=False,
        desc="InvokeModel response body for the Claude Text Completions API.",
    )
    chunk = obj(
        {
            "type": string("Always `completion`.", const="completion"),
            "completion": string("Text since the previous chunk."),
            "stop_reason": nullable(string("Null until the last chunk.", enum=stop)),
            "stop": nullable(string("The stop sequence that matched.")),
            **bedrock_extras(),
        },
        ("completion",),
        closed=False,
        desc="Decoded stream chunk of the Claude Text Completions API.",
    )
    return [
        document(
            "anthropic.claude-text.request",
            "Claude Text Completions request",
            request.pop("description"),
            request,
        ),
        document(
            "anthropic.claude-text.response",
            "Claude Text Completions response",
            response.pop("description"),
            with_metrics(response),
        ),
        document(
            "anthropic.claude-text.chunk",
            "Claude Text Completions stream chunk",
            chunk.pop("description"),
            with_metrics(chunk),
        ),
    ]


# --- Cohere ------------------------------------------------------------------------------------


def cohere_command() -> list[Schema]:
    request = obj(
        {
            "prompt": string("The prompt text. Required."),
            "temperature": number(
                "Sampling temperature. Default 0.9, range 0-5.", minimum=0, maximum=5
            ),
            "p": number(
                "Nucleus sampling threshold. Default 0.75, range 0-1.", minimum=0, maximum=1
            ),
            "k": integer("Top-k sampling. Default 0 (off), range 0-500.", minimum=0, maximum=500),
            "max_tokens": integer(
                "Maximum tokens to generate. Default 20, range 1-4096.", minimum=1, maximum=4096
            ),
            "stop_sequences": string_list("Up to four stop strings.", maxItems=4),
            "return_likelihoods": string(
                "`GENERATION`, `ALL` or `NONE` (default).", enum=["GENERATION", "ALL", "NONE"]
            ),
            "stream": boolean("Ask for partial results. Default false."),
            "num_generations": integer(
                "Number of generations. Default 1, range 1-5.", minimum=1, maximum=5
            ),
            "logit_bias": obj({}, closed=False, desc="Token id to bias (-10 to 10) map."),
            "truncate": string(
                "Input truncation: `NONE`, `START` or `END` (default).",
                enum=["NONE", "START", "END"],
            ),
        },
        ("prompt",),
        desc="InvokeModel request body for the legacy Cohere Command / Command Light models.",
    )
    finish = [
        "COMPLETE",
        "MAX_TOKENS",
        "ERROR",
        "ERROR_TOXIC",
        "ERROR_LIMIT",
        "USER_CANCEL",
        "STOP_SEQUENCE",
    ]
    generation = obj(
        {
            "id": string("Generation id."),
            "text": string("The generated text."),
            "finish_reason": string(
                "Why generation stopped (real recordings: `COMPLETE`, `MAX_TOKENS`).", enum=finish
            ),
            "index": integer("Position when num_generations > 1.", minimum=0),
            "likelihood": number("Average log-likelihood (with return_likelihoods)."),
            "token_likelihoods": array(
                obj({}, closed=False, desc="Token and likelihood."), "Per-token likelihoods."
            ),
            "is_finished": boolean("True when this generation is complete (streaming)."),
        },
        ("text",),
        closed=False,
        desc="One generation.",
    )
    response = obj(
        {
            "id": string("Response id."),
            "generations": array(generation, "The generations.", minItems=1),
            "prompt": string("The prompt as received."),
            **bedrock_extras(),
        },
        ("generations",),
        closed=False,
        desc="InvokeModel response body for Cohere Command.",
    )
    chunk = obj(
        {
            "text": string("Text since the previous chunk."),
            "is_finished": boolean("True on the last chunk."),
            "finish_reason": string("Why generation stopped (last chunk).", enum=finish),
            "index": integer("Generation index.", minimum=0),
            "generations": array(generation, "Generations (final chunk of some versions)."),
            **bedrock_extras(),
        },
        closed=False,
        desc="Decoded stream chunk for Cohere Command (no real recording; kept open).",
    )
    return [
        document(
            "cohere.command.request", "Cohere Command request", request.pop("description"), request
        ),
        document(
            "cohere.command.response",
            "Cohere Command response",
            response.pop("description"),
            with_metrics(response),
        ),
        document(
            "cohere.command.chunk",
            "Cohere Command stream chunk",
            chunk.pop("description"),
            with_metrics(chunk),
        ),
    ]


def cohere_command_r() -> list[Schema]:
    turn = obj(
        {
            "role": string(
                "`USER`, `CHATBOT`, `SYSTEM` or `TOOL`.", enum=["USER", "CHATBOT", "SYSTEM", "TOOL"]
            ),
            "message": string("Text of the turn."),
            "tool_calls": array(obj({}, closed=False, desc="A tool call."), "Tool calls."),
            "tool_results": array(obj({}, closed=False, desc="A tool result."), "Tool results."),
        },
        ("role",),
        desc="One earlier turn.",
    )
    request = obj(
        {
            "message": string("The user's message. Required."),
            "chat_history": array(turn, "Earlier turns, oldest first."),
            "documents": array(
                obj({}, closed=False, desc="A document: string keys and string values."),
                "Documents to ground the answer on (e.g. `title`, `snippet`).",
            ),
            "search_queries_only": boolean("Only return search queries. Default false."),
            "preamble": string("Replaces the default system preamble."),
            "max_tokens": integer("Maximum tokens to generate (>= 1).", minimum=1),
            "temperature": number(
                "Sampling temperature. Default 0.3, range 0-1.", minimum=0, maximum=1
            ),
            "p": number(
                "Nucleus sampling threshold. Default 0.75, range 0.01-0.99 per AWS; the "
                "real recordings send 0.99, so the schema accepts 0-1.",
                minimum=0,
                maximum=1,
            ),
            "k": number("Top-k sampling. Default 0, range 0-500.", minimum=0, maximum=500),
            "prompt_truncation": string(
                "`OFF` (default) or `AUTO_PRESERVE_ORDER`.", enum=["OFF", "AUTO_PRESERVE_ORDER"]
            ),
            "frequency_penalty": number(
                "Penalty by frequency. Default 0, range 0-1.", minimum=0, maximum=1
            ),
            "presence_penalty": number(
                "Penalty for presence. Default 0, range 0-1.", minimum=0, maximum=1
            ),
            "seed": integer("Seed for deterministic sampling."),
            "return_prompt": boolean("Return the full prompt. Default false."),
            "tools": array(
                obj(
                    {},
                    closed=False,
                    desc="A tool definition (`name`, `description`, `parameter_definitions`).",
                ),
                "Tools.",
            ),
            "tool_results": array(
                obj({}, closed=False, desc="A result (`call`, `outputs`)."),
                "Results of earlier tool calls.",
            ),
            "stop_sequences": string_list("Up to five stop strings.", maxItems=5),
            "raw_prompting": boolean("Send the message without preprocessing. Default false."),
        },
        ("message",),
        desc="InvokeModel request body for Cohere Command R and Command R+.",
    )
    finish = [
        "COMPLETE",
        "STOP_SEQUENCE",
        "MAX_TOKENS",
        "ERROR",
        "ERROR_TOXIC",
        "ERROR_LIMIT",
        "USER_CANCEL",
    ]
    response_props: dict[str, Schema] = {
        "response_id": string("Response id."),
        "text": string("The answer."),
        "generation_id": string("Generation id."),
        "citations": array(obj({}, closed=False, desc="A citation."), "Citations."),
        "documents": array(obj({}, closed=False, desc="A document."), "Cited documents."),
        "search_queries": array(obj({}, closed=False, desc="A query."), "Search queries."),
        "prompt": string("The full prompt (with return_prompt)."),
        "finish_reason": string(
            "Why generation stopped (real recordings: `MAX_TOKENS`, `STOP_SEQUENCE`).", enum=finish
        ),
        "tool_calls": array(obj({}, closed=False, desc="A tool call."), "Tool calls."),
        "chat_history": array(
            obj({}, closed=False, desc="A turn."), "The conversation including this answer."
        ),
        "meta": obj({}, closed=False, desc="API version and billed units."),
    }
    response = obj(
        {**response_props, **bedrock_extras()},
        ("text",),
        closed=False,
        desc="InvokeModel response body for Cohere Command R / R+.",
    )
    chunk = obj(
        {
            "is_finished": boolean("True on the last chunk."),
            "event_type": string(
                "`stream-start`, `text-generation`, `search-queries-generation`, "
                "`citation-generation`, `tool-calls-generation`, `stream-end`."
            ),
            "text": string("Text since the previous chunk."),
            "finish_reason": string("Why generation stopped (on `stream-end`).", enum=finish),
            "response": obj({}, closed=False, desc="The full response (on `stream-end`)."),
            "generation_id": string("Generation id (on `stream-start`)."),
            **bedrock_extras(),
        },
        closed=False,
        desc="Decoded stream chunk for Cohere Command R (no real recording; kept open).",
    )
    return [
        document(
            "cohere.command-r.request",
            "Cohere Command R request",
            request.pop("description"),
            request,
        ),
        document(
            "cohere.command-r.response",
            "Cohere Command R response",
            response.pop("description"),
            with_metrics(response),
        ),
        document(
            "cohere.command-r.chunk",
            "Cohere Command R stream chunk",
            chunk.pop("description"),
            with_metrics(chunk),
        ),
    ]


# --- Mistral -----------------------------------------------------------------------------------

MISTRAL_MAXIMA = {"max-4096": 4096, "max-8192": 8192}


def _max_tokens_variants(field: str, maxima: dict[str, int]) -> dict[str, Schema]:
    return {
        name: {
            "description": f"Models whose {field} is at most {maximum}.",
            "properties": {field: {"description": f"At most {maximum}.", "maximum": maximum}},
        }
        for name, maximum in maxima.items()
    }


def mistral() -> list[Schema]:
    common: dict[str, Schema] = {
        "max_tokens": integer(
            "Maximum tokens to generate (>= 1). Default 512 (7B, Mixtral) or 8192 (Large, "
            "Small); maximum 8192, 4096 for Mixtral 8x7B (variants `max-8192`, `max-4096`).",
            minimum=1,
        ),
        "temperature": number(
            "Sampling temperature, range 0-1 (default 0.5, Large 0.7).", minimum=0, maximum=1
        ),
        "top_p": number(
            "Nucleus sampling threshold, range 0-1 (default 0.9, Large 1).", minimum=0, maximum=1
        ),
    }
    request = obj(
        {
            "prompt": string("Prompt in `<s>[INST] ... [/INST]` form. Required."),
            **common,
            "stop": string_list("Strings that stop generation."),
            "top_k": integer(
                "Top-k sampling. Default 200 (7B, Mixtral), range 1-200.", minimum=1, maximum=200
            ),
        },
        ("prompt",),
        desc="InvokeModel request body for Mistral text completion (7B, Mixtral, Large, Small).",
    )
    request["$defs"] = {"variants": _max_tokens_variants("max_tokens", MISTRAL_MAXIMA)}
    stop = ["stop", "length", "tool_calls", "model_length", "error"]
    output = obj(
        {
            "text": string("Generated text (or the increment, in a chunk)."),
            "stop_reason": nullable(
                string(
                    "`stop` or `length` (others accepted: `tool_calls`, `model_length`, `error`).",
                    enum=stop,
                )
            ),
        },
        ("text",),
        closed=False,
        desc="One output.",
    )
    response = obj(
        {"outputs": array(output, "The outputs.", minItems=1), **bedrock_extras()},
        ("outputs",),
        closed=False,
        desc="InvokeModel response body for Mistral text completion.",
    )
    chunk = obj(
        {
            "outputs": array(output, "The increments; stop_reason is null until the end."),
            **bedrock_extras(),
        },
        ("outputs",),
        closed=False,
        desc="Decoded stream chunk for Mistral text completion.",
    )
    function = obj(
        {
            "name": string("Function name."),
            "description": string("What it does."),
            "parameters": obj({}, closed=False, desc="JSON Schema of the arguments."),
            "arguments": anything("Arguments (a JSON string or object) in a call."),
        },
        ("name",),
        closed=False,
        desc="A function.",
    )
    chat_message = obj(
        {
            "role": string(
                "`system`, `user`, `assistant` or `tool`.",
                enum=["system", "user", "assistant", "tool"],
            ),
            "content": {
                "description": "Text, or a list of content parts (Pixtral images).",
                "type": ["string", "array", "null"],
            },
            "tool_calls": array(
                obj(
                    {"id": string("Call id."), "function": function, "type": string("`function`.")},
                    closed=False,
                    desc="A tool call.",
                ),
                "Tool calls made by the assistant.",
            ),
            "tool_call_id": string("The call a `tool` message answers."),
            "name": string("Name of the tool (tool messages)."),
        },
        ("role",),
        desc="One chat message.",
    )
    chat_request = obj(
        {
            "messages": array(chat_message, "The conversation. Required.", minItems=1),
            **common,
            "stop": string_list("Strings that stop generation."),
            "tools": array(
                obj(
                    {"type": string("`function`.", const="function"), "function": function},
                    ("type", "function"),
                    desc="A tool.",
                ),
                "Tools the model may call.",
            ),
            "tool_choice": string(
                "`auto` (default), `any` or `none`.", enum=["auto", "any", "none"]
            ),
            "response_format": obj(
                {"type": string("`text` or `json_object`.")}, desc="Output format."
            ),
        },
        ("messages",),
        desc="InvokeModel request body for Mistral chat (Large 2407, Pixtral Large).",
    )
    chat_request["$defs"] = {"variants": _max_tokens_variants("max_tokens", MISTRAL_MAXIMA)}
    choice_msg = obj(
        {
            "role": string("`assistant`."),
            "content": nullable(string("Generated text.")),
            "tool_calls": array(obj({}, closed=False, desc="A call."), "Tool calls."),
        },
        closed=False,
        desc="The generated message (or increment).",
    )
    choice = obj(
        {
            "index": integer("Position.", minimum=0),
            "message": choice_msg,
            "delta": {**choice_msg, "description": "The increment (streaming)."},
            "stop_reason": nullable(string("Why generation stopped.", enum=stop)),
            "finish_reason": nullable(string("Why generation stopped (alternate key).", enum=stop)),
        },
        closed=False,
        desc="One choice.",
    )
    chat_response = obj(
        {"choices": array(choice, "The choices.", minItems=1), **bedrock_extras()},
        ("choices",),
        closed=False,
        desc="InvokeModel response body for Mistral chat.",
    )
    chat_chunk = obj(
        {"choices": array(choice, "The increments."), **bedrock_extras()},
        ("choices",),
        closed=False,
        desc="Decoded stream chunk for Mistral chat (no real recording; kept open).",
    )
    return [
        document(
            "mistral.text.request",
            "Mistral text completion request",
            request.pop("description"),
            request,
        ),
        document(
            "mistral.text.response",
            "Mistral text completion response",
            response.pop("description"),
            with_metrics(response),
        ),
        document(
            "mistral.text.chunk",
            "Mistral text completion stream chunk",
            chunk.pop("description"),
            with_metrics(chunk),
        ),
        document(
            "mistral.chat.request",
            "Mistral chat request",
            chat_request.pop("description"),
            chat_request,
        ),
        document(
            "mistral.chat.response",
            "Mistral chat response",
            chat_response.pop("description"),
            with_metrics(chat_response),
        ),
        document(
            "mistral.chat.chunk",
            "Mistral chat stream chunk",
            chat_chunk.pop("description"),
            with_metrics(chat_chunk),
        ),
    ]


# --- Amazon Nova -------------------------------------------------------------------------------


def nova() -> list[Schema]:
    media_source = obj(
        {
            "bytes": string("Base64 data."),
            "s3Location": obj(
                {
                    "uri": string("`s3://` URI."),
                    "bucketOwner": string("Account id of the bucket owner."),
                },
                ("uri",),
                desc="Object in S3.",
            ),
        },
        desc="Where the media comes from: exactly one of `bytes`, `s3Location`.",
        minProperties=1,
        maxProperties=1,
    )
    block = obj(
        {
            "text": string("A text block."),
            "image": obj(
                {
                    "format": string(
                        "`png`, `jpeg`, `gif` or `webp`.", enum=["png", "jpeg", "gif", "webp"]
                    ),
                    "source": media_source,
                },
                ("format", "source"),
                desc="An image.",
            ),
            "video": obj(
                {
                    "format": string("Container, e.g. `mp4`, `mov`, `mkv`, `webm`."),
                    "source": media_source,
                },
                ("format", "source"),
                desc="A video.",
            ),
            "document": obj(
                {
                    "format": string("e.g. `pdf`, `txt`, `md`."),
                    "name": string("Document name."),
                    "source": media_source,
                },
                ("format", "source"),
                closed=False,
                desc="A document.",
            ),
            "toolUse": obj(
                {
                    "toolUseId": string("Call id."),
                    "name": string("Tool name."),
                    "input": anything("Arguments (JSON)."),
                },
                ("toolUseId", "name", "input"),
                desc="A tool call (assistant).",
            ),
            "toolResult": obj(
                {
                    "toolUseId": string("Call id being answered."),
                    "content": array(
                        obj({}, closed=False, desc="`text` or `json` item."), "Result items."
                    ),
                    "status": string("`success` or `error`.", enum=["success", "error"]),
                },
                ("toolUseId", "content"),
                desc="A tool result (user).",
            ),
            "cachePoint": obj(
                {"type": string("`default`.", const="default")},
                ("type",),
                desc="Prompt-cache checkpoint.",
            ),
            "reasoningContent": obj({}, closed=False, desc="Reasoning (Nova 2)."),
        },
        desc="A content block: exactly one member.",
        minProperties=1,
        maxProperties=1,
    )
    config = obj(
        {
            "max_new_tokens": integer(
                "Maximum tokens to generate (>= 1; Nova accepts up to 5K-10K depending on model "
                "and date, so no upper bound is enforced). The documented spelling; real "
                "recordings also send `maxTokens`, which Bedrock accepted.",
                minimum=1,
            ),
            "maxTokens": integer(
                "Alias of max_new_tokens accepted by Bedrock (real recordings).", minimum=1
            ),
            "temperature": number(
                "Sampling temperature. Default 0.7, range 0-1.", minimum=0, maximum=1
            ),
            "top_p": number("Nucleus sampling. Default 0.9, range 0-1.", minimum=0, maximum=1),
            "topP": number("Alias of top_p (real recordings).", minimum=0, maximum=1),
            "top_k": integer("Top-k sampling. Default 50, range 0-128.", minimum=0, maximum=128),
            "topK": integer("Alias of top_k (real recordings).", minimum=0, maximum=128),
            "stopSequences": string_list("Strings that stop generation."),
            "reasoningConfig": obj({}, closed=False, desc="Reasoning settings (Nova 2)."),
        },
        desc="Inference settings; both snake_case and camelCase spellings are accepted.",
    )
    request = obj(
        {
            "schemaVersion": string(
                "Must be `messages-v1` when present (real recordings omit it at times).",
                const="messages-v1",
            ),
            "system": array(
                obj({"text": string("System text.")}, ("text",), desc="A system block."),
                "System prompt blocks.",
            ),
            "messages": array(
                obj(
                    {
                        "role": string("`user` or `assistant`.", enum=["user", "assistant"]),
                        "content": array({"$ref": "#/$defs/block"}, "Content blocks.", minItems=1),
                    },
                    ("role", "content"),
                    desc="One turn.",
                ),
                "The conversation. Required.",
                minItems=1,
            ),
            "inferenceConfig": config,
            "toolConfig": obj(
                {
                    "tools": array(
                        obj(
                            {},
                            closed=False,
                            desc="`{toolSpec: {name, description, inputSchema: {json}}}`.",
                        ),
                        "Tools.",
                    ),
                    "toolChoice": obj({}, closed=False, desc="`auto`, `any` or `tool`."),
                },
                desc="Converse-style tool configuration.",
            ),
        },
        ("messages",),
        desc="InvokeModel request body for Amazon Nova (`messages-v1`).",
    )
    request["$defs"] = {"block": block}
    stop = [
        "end_turn",
        "max_tokens",
        "stop_sequence",
        "tool_use",
        "content_filtered",
        "guardrail_intervened",
        "malformed_model_output",
        "malformed_tool_use",
    ]
    usage = obj(
        {
            "inputTokens": integer("Input tokens.", minimum=0),
            "outputTokens": integer("Output tokens.", minimum=0),
            "totalTokens": integer("Sum of both.", minimum=0),
            "cacheReadInputTokenCount": integer("Tokens read from the cache.", minimum=0),
            "cacheWriteInputTokenCount": integer("Tokens written to the cache.", minimum=0),
        },
        closed=False,
        desc="Token usage. A guardrail intervention can leave only inputTokens (real "
        "recording), so nothing is required.",
    )
    response = obj(
        {
            "output": obj(
                {
                    "message": obj(
                        {
                            "role": string("`assistant`."),
                            "content": array(
                                obj({}, closed=False, desc="A content block."), "Generated blocks."
                            ),
                        },
                        ("content",),
                        closed=False,
                        desc="The answer.",
                    )
                },
                ("message",),
                closed=False,
                desc="The output.",
            ),
            "stopReason": string("Why generation stopped.", enum=stop),
            "usage": usage,
            **bedrock_extras(),
        },
        ("output", "stopReason"),
        closed=False,
        desc="InvokeModel response body for Amazon Nova.",
    )
    chunk = obj(
        {
            "messageStart": obj(
                {"role": string("`assistant`.")}, closed=False, desc="First event."
            ),
            "contentBlockStart": obj(
                {
                    "contentBlockIndex": integer("Block index.", minimum=0),
                    "start": obj({}, closed=False, desc="Tool use start."),
                },
                closed=False,
                desc="Opens a (tool use) block.",
            ),
            "contentBlockDelta": obj(
                {
                    "contentBlockIndex": integer("Block index.", minimum=0),
                    "delta": obj({}, closed=False, desc="`{text}` or `{toolUse: {input}}`."),
                },
                ("delta",),
                closed=False,
                desc="An increment.",
            ),
            "contentBlockStop": obj(
                {"contentBlockIndex": integer("Block index.", minimum=0)},
                closed=False,
                desc="Closes a block.",
            ),
            "messageStop": obj(
                {"stopReason": string("Why generation stopped.", enum=stop)},
                ("stopReason",),
                closed=False,
                desc="Last content event.",
            ),
            "metadata": obj(
                {
                    "usage": usage,
                    "metrics": obj({}, closed=False, desc="Metrics."),
                    "trace": obj({}, closed=False, desc="Trace."),
                },
                closed=False,
                desc="Usage, on the final chunk.",
            ),
            **bedrock_extras(),
        },
        closed=False,
        minProperties=1,
        desc="Decoded stream chunk for Amazon Nova (Converse-like event keys; confirmed by the "
        "real recordings).",
    )
    return [
        document("amazon.nova.request", "Amazon Nova request", request.pop("description"), request),
        document(
            "amazon.nova.response",
            "Amazon Nova response",
            response.pop("description"),
            with_metrics(response),
        ),
        document(
            "amazon.nova.chunk",
            "Amazon Nova stream chunk",
            chunk.pop("description"),
            with_metrics(chunk),
        ),
    ]


# --- Embeddings --------------------------------------------------------------------------------


def embeddings() -> list[Schema]:
    floats = array(number("One dimension."), "The embedding vector.")
    titan_v1 = obj(
        {"inputText": string("Text to embed (up to 8K tokens). Required.")},
        ("inputText",),
        desc="InvokeModel request body for Amazon Titan Text Embeddings G1 "
        "(`amazon.titan-embed-text-v1`).",
    )
    titan_v2 = obj(
        {
            "inputText": string(
                "Text to embed (up to 8,192 tokens / 50,000 characters). Required.", maxLength=50000
            ),
            "dimensions": integer(
                "Output size: 1024 (default), 512 or 256.", enum=[1024, 512, 256]
            ),
            "normalize": boolean("Normalise the vector. Default true."),
            "embeddingTypes": array(
                string("`float` or `binary`.", enum=["float", "binary"]),
                'Which encodings to return. Default `["float"]`.',
                minItems=1,
            ),
        },
        ("inputText",),
        desc="InvokeModel request body for Amazon Titan Text Embeddings V2.",
    )
    titan_resp = obj(
        {
            "embedding": floats,
            "inputTextTokenCount": integer("Tokens in inputText.", minimum=0),
            "embeddingsByType": obj(
                {}, closed=False, desc="Vectors per requested embeddingTypes (V2)."
            ),
            **bedrock_extras(),
        },
        ("inputTextTokenCount",),
        closed=False,
        desc="InvokeModel response body for Amazon Titan Text Embeddings (v1 and v2).",
    )
    cohere_req = obj(
        {
            "texts": array(
                string("One text (up to 2048 characters).", maxLength=2048),
                "Texts to embed, 0-96 of them. Required.",
                maxItems=96,
            ),
            "input_type": string(
                "What the vectors are for: `search_document`, `search_query`, "
                "`classification`, `clustering`. Required for v3 models.",
                enum=["search_document", "search_query", "classification", "clustering"],
            ),
            "truncate": string(
                "`NONE` (default), `START` or `END`.", enum=["NONE", "START", "END"]
            ),
            "embedding_types": array(
                string("Encoding.", enum=["float", "int8", "uint8", "binary", "ubinary"]),
                "Encodings to return. Default float only.",
            ),
        },
        ("texts", "input_type"),
        desc="InvokeModel request body for Cohere Embed v3 (English, Multilingual).",
    )
    cohere_resp = obj(
        {
            "id": string("Response id."),
            "response_type": string(
                "`embeddings_floats` or `embeddings_by_type`.",
                enum=["embeddings_floats", "embeddings_by_type"],
            ),
            "embeddings": {
                "description": "A list of vectors, or an object of lists per type.",
                "type": ["array", "object"],
            },
            "texts": string_list("The texts as embedded."),
            **bedrock_extras(),
        },
        ("embeddings",),
        closed=False,
        desc="InvokeModel response body for Cohere Embed v3.",
    )
    return [
        document(
            "amazon.titan-embed-v1.request",
            "Titan Text Embeddings G1 request",
            titan_v1.pop("description"),
            titan_v1,
        ),
        document(
            "amazon.titan-embed-v1.response",
            "Titan Text Embeddings response",
            titan_resp.pop("description"),
            with_metrics(copy.deepcopy(titan_resp)),
        ),
        document(
            "amazon.titan-embed-v2.request",
            "Titan Text Embeddings V2 request",
            titan_v2.pop("description"),
            titan_v2,
        ),
        document(
            "amazon.titan-embed-v2.response",
            "Titan Text Embeddings V2 response",
            "InvokeModel response body for Amazon Titan Text Embeddings V2.",
            with_metrics(copy.deepcopy(titan_resp)),
        ),
        document(
            "cohere.embed.request",
            "Cohere Embed v3 request",
            cohere_req.pop("description"),
            cohere_req,
        ),
        document(
            "cohere.embed.response",
            "Cohere Embed v3 response",
            cohere_resp.pop("description"),
            with_metrics(cohere_resp),
        ),
    ]


# --- shared Bedrock pieces ---------------------------------------------------------------------


def bedrock_shared() -> list[Schema]:
    metrics = invocation_metrics()
    desc = metrics.pop("description")
    digits = {"type": "string", "pattern": "^[0-9]+$"}
    headers = obj(
        {
            "x-amzn-bedrock-input-token-count": {
                **digits,
                "description": "Input tokens, decimal string (InvokeModel success).",
            },
            "x-amzn-bedrock-output-token-count": {
                **digits,
                "description": "Output tokens, decimal string (InvokeModel success).",
            },
            "x-amzn-bedrock-invocation-latency": {
                **digits,
                "description": "Milliseconds the model took, decimal string.",
            },
            "x-amzn-bedrock-cache-read-input-token-count": {
                **digits,
                "description": "Input tokens read from the prompt cache.",
            },
            "x-amzn-bedrock-cache-write-input-token-count": {
                **digits,
                "description": "Input tokens written to the prompt cache.",
            },
            "x-amzn-bedrock-content-type": string(
                "Content type of the chunks of a streamed answer."
            ),
            "x-amzn-bedrock-performanceconfig-latency": string(
                "Echo of the latency setting.", enum=["standard", "optimized"]
            ),
            "x-amzn-bedrock-service-tier": string(
                "Echo of the service tier.", enum=["priority", "default", "flex", "reserved"]
            ),
        },
        closed=False,
        desc=(
            "`X-Amzn-Bedrock-*` response headers, names lower-cased. The token and latency "
            "headers are not in the service model; every real InvokeModel success recording "
            "carries the three of them, error responses never do. Streaming and Converse "
            "answers report usage in the body instead, so nothing is required here."
        ),
    )
    return [
        document("bedrock.invocation-metrics", "amazon-bedrock-invocationMetrics", desc, metrics),
        document(
            "bedrock.response-headers",
            "Bedrock response headers",
            headers.pop("description"),
            headers,
        ),
    ]


# --- Converse (derived from botocore's service model) ------------------------------------------

GLOSSARY = {
    "messages": "The conversation, oldest first.",
    "system": "System prompt blocks.",
    "inferenceConfig": "Common inference settings.",
    "maxTokens": "Maximum tokens to generate.",
    "temperature": "Sampling temperature.",
    "topP": "Nucleus sampling threshold.",
    "stopSequences": "Strings that stop generation.",
    "toolConfig": "Tools the model may call.",
    "guardrailConfig": "Guardrail to apply.",
    "additionalModelRequestFields": "Model-native parameters passed through unchanged.",
    "additionalModelResponseFieldPaths": "JSON pointers of native response fields to return.",
    "promptVariables": "Values for a prompt-management prompt's variables.",
    "requestMetadata": "Key-value pairs for invocation logs.",
    "performanceConfig": "Latency profile.",
    "serviceTier": "Service tier.",
    "output": "The generated message.",
    "stopReason": "Why generation stopped.",
    "usage": "Token usage.",
    "metrics": "Latency metrics.",
    "trace": "Guardrail / prompt-router trace.",
    "role": "Author of the message.",
    "content": "Content blocks.",
    "text": "Text.",
    "toolUse": "A tool call.",
    "toolResult": "A tool result.",
    "inputTokens": "Input tokens.",
    "outputTokens": "Output tokens.",
    "totalTokens": "Input plus output tokens.",
    "latencyMs": "Latency in milliseconds.",
    "contentBlockIndex": "Index of the content block in the message.",
    "delta": "The increment.",
    "start": "What the block starts with.",
}

#: Answer shapes whose service-model "required" members real answers omit: the guardrail trace
#: (e.g. sensitiveInformationPolicy without `regexes` in the real Titan recordings). Inside them
#: nothing is required.
LOOSE_ROOTS = frozenset({"ConverseTrace", "ConverseStreamTrace", "GuardrailAssessment"})

#: Enum values Bedrock sends (and so accepts back) that the service model does not list yet:
#: ``"type": "tool_use"`` on every toolUse block of Claude and Nova 2 answers (real, CRC-intact
#: recordings from two projects), where botocore lists only ``server_tool_use``.
OBSERVED_ENUM_VALUES = {"ToolUseType": ("tool_use",)}

#: Members real answers carry that the service model does not list (real Nova and Claude
#: recordings): answers are open, and bedrock-vcr reports a key no schema lists as drift, so the
#: keys Bedrock is known to send are listed here.
OBSERVED_MEMBERS: dict[str, dict[str, Schema]] = {
    "TokenUsage": {
        "cacheReadInputTokenCount": {
            "type": "integer",
            "minimum": 0,
            "description": "Input tokens read from the prompt cache, under the name real Nova "
            "and Claude answers use (the service model says cacheReadInputTokens).",
        },
        "cacheWriteInputTokenCount": {
            "type": "integer",
            "minimum": 0,
            "description": "Input tokens written to the prompt cache (see "
            "cacheReadInputTokenCount).",
        },
        "serverToolUsage": {
            "type": "object",
            "description": "Server-side tool invocations by tool (seen in real Claude "
            "ConverseStream metadata; not in the service model).",
        },
    }
}

TYPE_MAP = {
    "string": "string",
    "blob": "string",
    "boolean": "boolean",
    "integer": "integer",
    "long": "integer",
    "float": "number",
    "double": "number",
}


def load_service_model() -> tuple[dict[str, Any], str]:
    import botocore

    path = (
        Path(botocore.__file__).parent
        / "data"
        / "bedrock-runtime"
        / "2023-09-30"
        / "service-2.json.gz"
    )
    with gzip.open(path) as fh:
        return json.load(fh), botocore.__version__


class ConverseBuilder:
    def __init__(self, model: dict[str, Any], *, closed: bool) -> None:
        self.shapes = model["shapes"]
        self.closed = closed
        self.defs: dict[str, Schema] = {}
        self.loose = False

    def describe(self, owner: str, member: str, shape_name: str, required: bool) -> str:
        shape = self.shapes[shape_name]
        facts = [f"`{owner}.{member}`", f"shape {shape_name} ({shape['type']})"]
        if "min" in shape or "max" in shape:
            facts.append(f"range {shape.get('min', '-')}..{shape.get('max', '-')}")
        if "enum" in shape:
            facts.append("one of " + ", ".join(shape["enum"]))
        facts.append("required" if required else "optional, no service-side default stated")
        meaning = GLOSSARY.get(member, "")
        return (meaning + " " if meaning else "") + "; ".join(facts) + "."

    def ref(self, name: str) -> Schema:
        if name not in self.defs:
            self.defs[name] = {}  # placeholder against recursion
            outer = self.loose
            self.loose = outer or (not self.closed and name in LOOSE_ROOTS)
            self.defs[name] = self.build(name)
            self.loose = outer
        return {"$ref": f"#/$defs/{name}"}

    def build(self, name: str) -> Schema:
        shape = self.shapes[name]
        kind = shape["type"]
        out: Schema
        if kind == "structure":
            if shape.get("document"):
                return {"description": f"Free-form JSON document (shape {name})."}
            members = {
                key: value
                for key, value in shape.get("members", {}).items()
                if "location" not in value
            }
            required = [key for key in shape.get("required", []) if key in members]
            props = {}
            for key, value in members.items():
                props[key] = {
                    **self.ref(value["shape"]),
                    "description": self.describe(name, key, value["shape"], key in required),
                }
            if not self.closed:
                props.update(copy.deepcopy(OBSERVED_MEMBERS.get(name, {})))
            out = {"type": "object", "properties": props}
            if shape.get("union"):
                out["minProperties"] = 1
                if self.closed:
                    out["maxProperties"] = 1
                    out["additionalProperties"] = False
                out["description"] = f"Union {name}: exactly one member is set."
            else:
                if required and not self.loose:
                    out["required"] = required
                if self.closed:
                    out["additionalProperties"] = False
                out["description"] = f"Structure {name}."
            return out
        if kind == "list":
            out = {"type": "array", "items": self.ref(shape["member"]["shape"])}
            if "min" in shape:
                out["minItems"] = shape["min"]
            if "max" in shape:
                out["maxItems"] = shape["max"]
        elif kind == "map":
            out = {"type": "object", "additionalProperties": self.ref(shape["value"]["shape"])}
            if "min" in shape:
                out["minProperties"] = shape["min"]
            if "max" in shape:
                out["maxProperties"] = shape["max"]
        elif kind == "timestamp":
            out = {"type": ["string", "number"]}
        else:
            out = {"type": TYPE_MAP[kind]}
            low, high = ("minimum", "maximum") if kind != "string" else ("minLength", "maxLength")
            if kind == "blob":
                low = high = ""
            if "min" in shape and low:
                out[low] = shape["min"]
            if "max" in shape and high:
                out[high] = shape["max"]
            if "enum" in shape:
                out["enum"] = [*shape["enum"], *OBSERVED_ENUM_VALUES.get(name, ())]
            if "pattern" in shape and kind == "string" and shape["pattern"] != "[\\s\\S]*":
                out["pattern"] = shape["pattern"]
        out["description"] = f"Shape {name} ({kind})" + (
            ", base64 in JSON." if kind == "blob" else "."
        )
        return out


def converse() -> list[Schema]:
    model, version = load_service_model()
    note = (
        f" Generated from botocore {version}'s bedrock-runtime service model by "
        "schemas/_tools/build_schemas.py; do not edit by hand."
    )
    out = []
    for name, shape_name, kind, closed in (
        ("bedrock.converse.request", "ConverseRequest", "Converse request", True),
        (
            "bedrock.converse-stream.request",
            "ConverseStreamRequest",
            "ConverseStream request",
            True,
        ),
        ("bedrock.converse.response", "ConverseResponse", "Converse response", False),
        ("bedrock.converse-stream.event", "ConverseStreamOutput", "ConverseStream event", False),
    ):
        builder = ConverseBuilder(model, closed=closed)
        root = copy.deepcopy(builder.build(shape_name))
        if shape_name == "ConverseStreamOutput":
            root["description"] = (
                "One ConverseStream event as `{eventType: payload}` (the `:event-type` header "
                "and the JSON payload). Payloads are open: real streams add a random padding "
                "key `p` to every event."
            )
            root["minProperties"] = 1
            root["maxProperties"] = 1
        elif closed:
            root["description"] = (
                f"{kind} body (the URL carries modelId). Closed like botocore's client-side "
                "validation: unknown keys are rejected."
            )
        else:
            root["description"] = (
                f"{kind} body. Open: real answers hold keys the service model does not list "
                "(usage.cacheReadInputTokenCount, usage.serverToolUsage)."
            )
        desc = root.pop("description") + note
        root["$defs"] = builder.defs
        out.append(document(name, kind, desc, root))
        out[-1]["$comment"] = f"botocore {version}"
    return out


#: The other operations: (schema name, input or output shape, title, closed). GET operations
#: carry their parameters in the URL, so they have no request schema.
SERVICE_OPERATIONS = (
    ("bedrock.count-tokens.request", "CountTokensRequest", "CountTokens request", True),
    ("bedrock.count-tokens.response", "CountTokensResponse", "CountTokens response", False),
    ("bedrock.apply-guardrail.request", "ApplyGuardrailRequest", "ApplyGuardrail request", True),
    ("bedrock.apply-guardrail.response", "ApplyGuardrailResponse", "ApplyGuardrail response", False),
    (
        "bedrock.invoke-guardrail-checks.request",
        "InvokeGuardrailChecksRequest",
        "InvokeGuardrailChecks request",
        True,
    ),
    (
        "bedrock.invoke-guardrail-checks.response",
        "InvokeGuardrailChecksResponse",
        "InvokeGuardrailChecks response",
        False,
    ),
    (
        "bedrock.start-async-invoke.request",
        "StartAsyncInvokeRequest",
        "StartAsyncInvoke request",
        True,
    ),
    (
        "bedrock.start-async-invoke.response",
        "StartAsyncInvokeResponse",
        "StartAsyncInvoke response",
        False,
    ),
    (
        "bedrock.get-async-invoke.response",
        "GetAsyncInvokeResponse",
        "GetAsyncInvoke response",
        False,
    ),
    (
        "bedrock.list-async-invokes.response",
        "ListAsyncInvokesResponse",
        "ListAsyncInvokes response",
        False,
    ),
)


def service_operations() -> list[Schema]:
    """Schemas of the operations beyond inference, derived like the Converse ones."""
    model, version = load_service_model()
    note = (
        f" Generated from botocore {version}'s bedrock-runtime service model by "
        "schemas/_tools/build_schemas.py; do not edit by hand."
    )
    out = []
    for name, shape_name, title, closed in SERVICE_OPERATIONS:
        builder = ConverseBuilder(model, closed=closed)
        root = copy.deepcopy(builder.build(shape_name))
        root.pop("description")
        if closed:
            desc = (
                f"{title} body (URL parameters are not part of it). Closed like botocore's "
                "client-side validation: unknown keys are rejected."
            )
        else:
            desc = (
                f"{title} body. Open: Bedrock adds fields over time, and an unknown key or enum "
                "value in an answer is reported as drift, never as a violation."
            )
        root["$defs"] = builder.defs
        out.append(document(name, title, desc + note, root))
        out[-1]["$comment"] = f"botocore {version}"
    return out


# --- driver ------------------------------------------------------------------------------------


def native_schemas() -> list[Schema]:
    return [
        *llama(),
        *titan_text(),
        *jamba(),
        *jurassic(),
        *claude_messages(),
        *claude_text(),
        *cohere_command(),
        *cohere_command_r(),
        *mistral(),
        *nova(),
        *embeddings(),
        *bedrock_shared(),
    ]


def all_schemas() -> list[Schema]:
    return [*native_schemas(), *converse(), *service_operations()]


def file_name(schema: Schema) -> str:
    return schema["$id"].removeprefix(ID_PREFIX) + ".json"


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for schema in all_schemas():
        path = SCHEMA_DIR / file_name(schema)
        text = render(schema)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale schemas (run schemas/_tools/build_schemas.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
