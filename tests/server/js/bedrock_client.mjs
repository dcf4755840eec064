// An independent Bedrock Runtime client: the AWS SDK for JavaScript v3, pointed at a bedrock-vcr
// server. Usage: node bedrock_client.mjs <endpoint-url> [--http1] [scenario ...]
//
// By default the client keeps its default request handler, as the AWS examples do, so it talks
// HTTP/2 (cleartext, with prior knowledge, for an http:// endpoint). `--http1` swaps in the SDK's
// HTTP/1.1 handler instead. Retries use the SDK's own decisions with a 10 ms backoff.
//
// Each scenario makes the calls an application would make and writes JSON Lines on stdout:
// {"scenario", "generation"} for every stream chunk as it arrives (the AWS streaming example
// prints each decoded `chunk.bytes` generation the same way), then one {"scenario", "result"} or
// {"scenario", "error"} line. Errors are reported with the SDK's own names and fields, so the
// Python test can check what a JavaScript application would see. Exit code 0 unless the harness
// itself failed.

import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { ConfiguredRetryStrategy } from "@smithy/util-retry";

const LLAMA = "meta.llama3-8b-instruct-v1:0";
const NOVA = "us.amazon.nova-lite-v1:0";
const PROFILE_ARN =
  "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0";

const endpoint = process.argv[2];
if (!endpoint) {
  console.error("usage: node bedrock_client.mjs <endpoint-url> [--http1] [scenario ...]");
  process.exit(2);
}
const options = process.argv.slice(3).filter((arg) => arg.startsWith("--"));
const http1 = options.includes("--http1");

function makeClient(maxAttempts = 1) {
  return new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint,
    retryStrategy: new ConfiguredRetryStrategy(maxAttempts, () => 10),
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    ...(http1 ? { requestHandler: new NodeHttpHandler() } : {}),
  });
}

function emit(record) {
  process.stdout.write(JSON.stringify(record) + "\n");
}

function llamaPrompt(text) {
  return (
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n" +
    text +
    "<|eot_id|>\n<|start_header_id|>assistant<|end_header_id|>\n"
  );
}

const decoder = new TextDecoder();

// What the SDK tells an application about an error: its class name, the modelled fields and the
// HTTP metadata.
function describeError(err) {
  const meta = err.$metadata ?? {};
  const out = {
    name: err.name,
    message: err.message,
    fault: err.$fault ?? null,
    httpStatusCode: meta.httpStatusCode ?? null,
    attempts: meta.attempts ?? null,
    requestId: meta.requestId ?? null,
    isBedrockError: err.constructor?.name === err.name,
  };
  for (const field of ["originalStatusCode", "originalMessage", "resourceName"]) {
    if (err[field] !== undefined) out[field] = err[field];
  }
  return out;
}

async function invokeStream(scenario, prompt, maxAttempts = 1) {
  // The AWS streaming example's pattern: send the native request, then decode each chunk.
  const client = makeClient(maxAttempts);
  const response = await client.send(
    new InvokeModelWithResponseStreamCommand({
      modelId: LLAMA,
      contentType: "application/json",
      body: JSON.stringify({ prompt: llamaPrompt(prompt), max_gen_len: 128, temperature: 0.5 }),
    }),
  );
  const generations = [];
  let last = null;
  for await (const event of response.body) {
    if (!event.chunk) continue;
    const chunk = JSON.parse(decoder.decode(event.chunk.bytes));
    generations.push(chunk.generation);
    emit({ scenario, generation: chunk.generation });
    last = chunk;
  }
  return {
    text: generations.join(""),
    chunks: generations.length,
    stopReason: last?.stop_reason ?? null,
    generationTokenCount: last?.generation_token_count ?? null,
    metrics: last?.["amazon-bedrock-invocationMetrics"] ?? null,
    httpStatusCode: response.$metadata.httpStatusCode,
    contentType: response.contentType ?? null,
  };
}

async function invoke(prompt, maxAttempts = 1, modelId = LLAMA) {
  const client = makeClient(maxAttempts);
  const response = await client.send(
    new InvokeModelCommand({
      modelId,
      contentType: "application/json",
      accept: "application/json",
      body: JSON.stringify({ prompt: llamaPrompt(prompt), max_gen_len: 128 }),
    }),
  );
  const body = JSON.parse(decoder.decode(response.body));
  return {
    text: body.generation,
    stopReason: body.stop_reason,
    promptTokenCount: body.prompt_token_count,
    generationTokenCount: body.generation_token_count,
    contentType: response.contentType,
    httpStatusCode: response.$metadata.httpStatusCode,
    attempts: response.$metadata.attempts,
    requestId: response.$metadata.requestId ?? null,
  };
}

function messages(text) {
  return [{ role: "user", content: [{ text }] }];
}

async function converse(prompt, modelId = NOVA) {
  const client = makeClient();
  const response = await client.send(
    new ConverseCommand({
      modelId,
      messages: messages(prompt),
      inferenceConfig: { maxTokens: 128 },
    }),
  );
  return {
    text: response.output.message.content.map((block) => block.text ?? "").join(""),
    role: response.output.message.role,
    stopReason: response.stopReason,
    usage: response.usage,
    httpStatusCode: response.$metadata.httpStatusCode,
  };
}

async function converseStream(scenario, prompt) {
  const client = makeClient();
  const response = await client.send(
    new ConverseStreamCommand({ modelId: NOVA, messages: messages(prompt) }),
  );
  const deltas = [];
  let stopReason = null;
  let usage = null;
  for await (const event of response.stream) {
    if (event.contentBlockDelta) {
      const text = event.contentBlockDelta.delta?.text ?? "";
      deltas.push(text);
      emit({ scenario, generation: text });
    } else if (event.messageStop) {
      stopReason = event.messageStop.stopReason;
    } else if (event.metadata) {
      usage = event.metadata.usage;
    }
  }
  return { text: deltas.join(""), chunks: deltas.length, stopReason, usage };
}

const SCENARIOS = {
  // The AWS streaming example, then the plain call.
  stream: (s) => invokeStream(s, "Write a short greeting."),
  invoke: () => invoke("Write a short greeting."),
  converse: () => converse("Write a short greeting."),
  "converse-stream": (s) => converseStream(s, "Write a short greeting."),
  // An inference-profile ARN as model id (the SDK percent-encodes its ':' and '/').
  "profile-arn": () => converse("Write a short greeting.", PROFILE_ARN),
  // A stream that fails after a few chunks with an exception frame.
  midstream: (s) => invokeStream(s, "MIDSTREAM please"),
  // A throttle with retries off, then a throttle the SDK retries past.
  throttle: () => invoke("THROTTLE please"),
  "throttle-retry": () => invoke("THROTTLE TWICE please", 3),
  "invalid-model": () => invoke("Write a short greeting.", 1, "does-not-exist"),
};

const wanted = process.argv.slice(3).filter((arg) => !arg.startsWith("--"));
const names = wanted.length ? wanted : Object.keys(SCENARIOS);
for (const name of names) {
  const run = SCENARIOS[name];
  if (!run) {
    console.error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(", ")}`);
    process.exit(2);
  }
  try {
    emit({ scenario: name, result: await run(name) });
  } catch (err) {
    emit({ scenario: name, error: describeError(err) });
  }
}
