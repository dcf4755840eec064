"""The botocore, aiobotocore and HTTP-library adapters: how Bedrock calls are caught and answered.

Bottom to top: ``clients`` (which clients are watched, the hooks, the active handlers),
``capture`` (a botocore request as a record), ``raw`` and ``aio`` (response bodies botocore and
aiobotocore read), ``backoff`` (retries without sleeps), ``checked`` (schema checks for a
player); then the handlers, ``player`` (a cassette) and ``mock`` (declared ``routes``;
``markers`` reads them from pytest markers); ``settings`` and ``api`` (``use_cassette``) on
top. ``transports`` holds the httpx and ``requests`` adapters, which hand callers that never make
a botocore client (litellm, ``AnthropicBedrock``, bearer-key HTTP code) to the same handlers.
Nothing here imports upward.
"""
