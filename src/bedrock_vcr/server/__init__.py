"""A local Bedrock-Runtime-compatible HTTP server.

It speaks the REST paths of the four operations (``/model/{modelId}/invoke``,
``/invoke-with-response-stream``, ``/converse``, ``/converse-stream``; model ids percent-encoded,
ARNs included, a literal ``/`` inside an ARN accepted) over HTTP/1.1 and over cleartext HTTP/2
(the AWS SDK for JavaScript v3 talks HTTP/2 to Bedrock Runtime by default), and answers from
*sources*: a cassette's recorded interactions, scripted answers, simulated answers, or anything
with an ``answer(request)`` method. Streams go out one event-stream frame per HTTP chunk (or
HTTP/2 DATA frame), optionally paced by the recorded offsets. Any SDK pointed at it with an
endpoint URL (boto3's ``endpoint_url``, the JavaScript SDK's ``endpoint``) talks to it as to
Bedrock; requests are not authenticated.

The modules, from the bottom up:

- :mod:`.transport`: writing a response to a connection or stream, shared error answers;
- :mod:`.sources`, :mod:`.unmatched`: what answers come from (cassettes, a function), and why
  no cassette answered;
- :mod:`.app`: which request gets which answer (Bedrock's paths, checks and errors);
- :mod:`.limits`: what clients may make the server spend (connections, streams, workers,
  buffered bodies, resets), and the worker pool that answers HTTP/2 streams;
- :mod:`.listener`: the event loop, accepting connections within those limits;
- :mod:`.request_body`, :mod:`.h1_writing`, :mod:`.h1_connection`: HTTP/1.1 on the loop;
- :mod:`.http1`: :class:`~.http1.BedrockServer`, which runs it all;
- :mod:`.h2_frames`, :mod:`.h2_handoff`, :mod:`.http2`: cleartext HTTP/2 on a thread per
  connection, loaded only when a client speaks it;
- :mod:`.routes`, :mod:`.routes_file`: simulated routes from a YAML file or from options.

Nothing is imported here, so importing one module loads only what it needs.
"""
