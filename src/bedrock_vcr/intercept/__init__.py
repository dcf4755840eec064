"""The botocore and aiobotocore adapters: how Bedrock calls are caught and answered.

Bottom to top: ``clients`` (which clients are watched, the hooks, the active handlers),
``capture`` (a botocore request as a record), ``raw`` and ``aio`` (response bodies botocore and
aiobotocore read), ``backoff`` (retries without sleeps), ``checked`` (schema checks for a
player); then the handlers, ``player`` (a cassette) and ``mock`` (declared ``routes``;
``markers`` reads them from pytest markers); ``settings`` and ``api`` (``use_cassette``) on
top. Nothing here imports upward.
"""
