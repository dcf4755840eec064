"""Application code for the demo: Bedrock calls written the way the AWS code examples write them.

Each function creates its own ``bedrock-runtime`` client, builds the model's native request (or a
Converse request), calls Bedrock and reads the answer the way the AWS examples do. Nothing here
knows about bedrock-vcr: the demo tests beside this file replay these calls from the cassettes in
``cassettes/``, and ``record_cassettes.py`` records them.

Every function returns a :class:`Reply` with what the call produced, so the tests can print and
check it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

REGION = "us-east-1"

LLAMA2_CHAT = "meta.llama2-13b-chat-v1"
LLAMA3_INSTRUCT = "meta.llama3-8b-instruct-v1:0"
LLAMA3_STREAM = "meta.llama3-70b-instruct-v1:0"
TITAN_PREMIER = "amazon.titan-text-premier-v1:0"
TITAN_EXPRESS = "amazon.titan-text-express-v1"
JAMBA_INSTRUCT = "ai21.jamba-instruct-v1:0"
CONVERSE_MODEL = "meta.llama3-8b-instruct-v1:0"
CONVERSE_STREAM_MODEL = "amazon.titan-text-premier-v1:0"

#: Titan Text output limits (``maxTokenCount``) per model, from the Bedrock model parameters.
TITAN_MAX_TOKENS = {TITAN_PREMIER: 3072, TITAN_EXPRESS: 8192}

MEETING_TRANSCRIPT = """\
Meeting transcript:
Priya: Thanks for joining. The beta build goes out to customers on the 14th, so the release notes \
have to be finished by Friday.
Tomas: I can write the release notes, but I need the final list of fixed bugs from QA first.
Priya: Wen, can you send Tomas that list by Wednesday?
Wen: Yes. I would also like to rerun the load test against the new database before we ship.
Priya: Good idea, book the staging environment for Thursday. I will update the customer FAQ and \
email the beta group on Monday.

From the meeting transcript above, create a list of action items for each person."""


@dataclass
class Reply:
    """What one Bedrock call produced, as the application reads it."""

    operation: str
    model_id: str
    prompt: str
    text: str
    stop_reason: str | None
    #: Token counts as the model's own answer reports them (body, last chunk or ``usage``).
    input_tokens: int | None
    output_tokens: int | None
    #: The HTTP response headers (``x-amzn-bedrock-*`` token counts on InvokeModel).
    headers: dict[str, str] = field(default_factory=dict)
    #: The parsed answer (native body, or the Converse response without its metadata).
    body: dict[str, Any] = field(default_factory=dict)
    #: Stream chunks (decoded model JSON) or ConverseStream events, in arrival order.
    chunks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def header_tokens(self) -> tuple[int, int] | None:
        """``(input, output)`` from the ``x-amzn-bedrock-*-token-count`` headers, if sent."""
        found = [
            self.headers.get(f"x-amzn-bedrock-{kind}-token-count") for kind in ("input", "output")
        ]
        if found[0] is None or found[1] is None:
            return None
        return int(found[0]), int(found[1])

    @property
    def invocation_metrics(self) -> dict[str, int] | None:
        """Bedrock's ``amazon-bedrock-invocationMetrics`` from the last stream chunk, if any."""
        for chunk in reversed(self.chunks):
            metrics = chunk.get("amazon-bedrock-invocationMetrics")
            if metrics is not None:
                return dict(metrics)
        return None


def _client() -> Any:
    return boto3.client("bedrock-runtime", region_name=REGION)


def _headers(response: dict[str, Any]) -> dict[str, str]:
    return dict(response["ResponseMetadata"]["HTTPHeaders"])


# --- Meta Llama ----------------------------------------------------------------------------------


def llama2_prompt(prompt: str) -> str:
    """Llama 2 Chat instruction format."""
    return f"<s>[INST] {prompt} [/INST]"


def llama3_prompt(prompt: str) -> str:
    """Llama 3 Instruct chat template: header tokens around one user turn."""
    return (
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
        f"{prompt}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def _invoke_llama(model_id: str, formatted_prompt: str) -> Reply:
    client = _client()
    native_request = {"prompt": formatted_prompt, "max_gen_len": 512, "temperature": 0.5}
    response = client.invoke_model(modelId=model_id, body=json.dumps(native_request))
    model_response = json.loads(response["body"].read())
    return Reply(
        operation="InvokeModel",
        model_id=model_id,
        prompt=formatted_prompt,
        text=model_response["generation"],
        stop_reason=model_response["stop_reason"],
        input_tokens=model_response["prompt_token_count"],
        output_tokens=model_response["generation_token_count"],
        headers=_headers(response),
        body=model_response,
    )


def ask_llama2_chat(prompt: str) -> Reply:
    """Llama 2 Chat through InvokeModel with an ``[INST]`` prompt."""
    return _invoke_llama(LLAMA2_CHAT, llama2_prompt(prompt))


def ask_llama3(prompt: str) -> Reply:
    """Llama 3 Instruct through InvokeModel with the header-token template."""
    return _invoke_llama(LLAMA3_INSTRUCT, llama3_prompt(prompt))


def stream_llama3(prompt: str) -> Reply:
    """Llama 3 through InvokeModelWithResponseStream, printing each piece as it arrives."""
    client = _client()
    formatted_prompt = llama3_prompt(prompt)
    native_request = {"prompt": formatted_prompt, "max_gen_len": 512, "temperature": 0.5}
    streaming_response = client.invoke_model_with_response_stream(
        modelId=LLAMA3_STREAM, body=json.dumps(native_request)
    )
    chunks: list[dict[str, Any]] = []
    for event in streaming_response["body"]:
        chunk = json.loads(event["chunk"]["bytes"])
        chunks.append(chunk)
        if "generation" in chunk:
            print(chunk["generation"], end="", flush=True)
    print()
    last = chunks[-1] if chunks else {}
    return Reply(
        operation="InvokeModelWithResponseStream",
        model_id=LLAMA3_STREAM,
        prompt=formatted_prompt,
        text="".join(chunk.get("generation", "") for chunk in chunks),
        stop_reason=last.get("stop_reason"),
        input_tokens=chunks[0].get("prompt_token_count") if chunks else None,
        output_tokens=last.get("generation_token_count"),
        headers=_headers(streaming_response),
        chunks=chunks,
    )


# --- Amazon Titan Text ---------------------------------------------------------------------------


def titan_action_items(model_id: str, transcript: str = MEETING_TRANSCRIPT) -> Reply:
    """Titan Text Premier or Express: action items from a meeting transcript."""
    client = _client()
    body = json.dumps(
        {
            "inputText": transcript,
            "textGenerationConfig": {
                "maxTokenCount": TITAN_MAX_TOKENS[model_id],
                "stopSequences": [],
                "temperature": 0.7,
                "topP": 0.9,
            },
        }
    )
    response = client.invoke_model(
        body=body, modelId=model_id, accept="application/json", contentType="application/json"
    )
    response_body = json.loads(response.get("body").read())
    result = response_body["results"][0]
    return Reply(
        operation="InvokeModel",
        model_id=model_id,
        prompt=transcript,
        text=result["outputText"],
        stop_reason=result["completionReason"],
        input_tokens=response_body["inputTextTokenCount"],
        output_tokens=result["tokenCount"],
        headers=_headers(response),
        body=response_body,
    )


# --- AI21 Jamba ----------------------------------------------------------------------------------


def ask_jamba(system: str, question: str) -> Reply:
    """Jamba-Instruct through InvokeModel with a ``messages`` list."""
    client = _client()
    body = json.dumps(
        {
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": question},
            ],
            "max_tokens": 256,
            "top_p": 0.8,
            "temperature": 0.7,
        }
    )
    response = client.invoke_model(body=body, modelId=JAMBA_INSTRUCT)
    result = json.loads(response.get("body").read())
    choice = result["choices"][0]
    return Reply(
        operation="InvokeModel",
        model_id=JAMBA_INSTRUCT,
        prompt=question,
        text=choice["message"]["content"],
        stop_reason=choice["finish_reason"],
        input_tokens=result["usage"]["prompt_tokens"],
        output_tokens=result["usage"]["completion_tokens"],
        headers=_headers(response),
        body=result,
    )


# --- Converse ------------------------------------------------------------------------------------


def converse(user_message: str, model_id: str = CONVERSE_MODEL) -> Reply:
    """One user turn through the Converse API."""
    client = _client()
    conversation = [{"role": "user", "content": [{"text": user_message}]}]
    response = client.converse(
        modelId=model_id,
        messages=conversation,
        inferenceConfig={"maxTokens": 512, "temperature": 0.5, "topP": 0.9},
    )
    body = {key: value for key, value in response.items() if key != "ResponseMetadata"}
    return Reply(
        operation="Converse",
        model_id=model_id,
        prompt=user_message,
        text=response["output"]["message"]["content"][0]["text"],
        stop_reason=response["stopReason"],
        input_tokens=response["usage"]["inputTokens"],
        output_tokens=response["usage"]["outputTokens"],
        headers=_headers(response),
        body=body,
    )


def converse_stream(user_message: str, model_id: str = CONVERSE_STREAM_MODEL) -> Reply:
    """One user turn through ConverseStream, printing the text as it arrives."""
    client = _client()
    conversation = [{"role": "user", "content": [{"text": user_message}]}]
    streaming_response = client.converse_stream(
        modelId=model_id,
        messages=conversation,
        inferenceConfig={"maxTokens": 512, "temperature": 0.5, "topP": 0.9},
    )
    events: list[dict[str, Any]] = []
    stop_reason = None
    usage: dict[str, int] = {}
    for event in streaming_response["stream"]:
        events.append(event)
        if "contentBlockDelta" in event:
            print(event["contentBlockDelta"]["delta"]["text"], end="", flush=True)
        if "messageStop" in event:
            stop_reason = event["messageStop"]["stopReason"]
        if "metadata" in event:
            usage = event["metadata"]["usage"]
    print()
    text = "".join(
        event["contentBlockDelta"]["delta"].get("text", "")
        for event in events
        if "contentBlockDelta" in event
    )
    return Reply(
        operation="ConverseStream",
        model_id=model_id,
        prompt=user_message,
        text=text,
        stop_reason=stop_reason,
        input_tokens=usage.get("inputTokens"),
        output_tokens=usage.get("outputTokens"),
        headers=_headers(streaming_response),
        chunks=events,
    )
