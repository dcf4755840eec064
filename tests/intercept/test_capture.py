"""Turning botocore's requests into records: targets parsed once per URL, only where the URL
alone tells them; only the headers that change Bedrock's answer kept."""

from __future__ import annotations

import json

from botocore.awsrequest import AWSPreparedRequest, HeadersDict

from bedrock_vcr.intercept.capture import request_from_botocore

HOST = "https://bedrock-runtime.us-east-1.amazonaws.com"


def prepared(url: str, body: bytes, **headers: str) -> AWSPreparedRequest:
    return AWSPreparedRequest("POST", url, HeadersDict(headers), body, None)


def test_the_same_url_gives_the_same_target_and_path() -> None:
    url = f"{HOST}/model/meta.llama3-8b-instruct-v1%3A0/invoke"
    for _ in range(2):
        got = request_from_botocore(prepared(url, b"{}"), "InvokeModel")
        assert (got.model_id, got.path) == (
            "meta.llama3-8b-instruct-v1:0",
            "/model/meta.llama3-8b-instruct-v1%3A0/invoke",
        )


def test_a_target_named_in_the_body_is_read_from_each_body() -> None:
    url = f"{HOST}/async-invoke"
    ids = [
        request_from_botocore(
            prepared(url, json.dumps({"modelId": model}).encode()), "StartAsyncInvoke"
        ).model_id
        for model in ("amazon.nova-reel-v1:0", "luma.ray-v2:0", "amazon.nova-reel-v1:0")
    ]
    assert ids == ["amazon.nova-reel-v1:0", "luma.ray-v2:0", "amazon.nova-reel-v1:0"]


def test_only_the_headers_that_matter_are_kept_lower_cased() -> None:
    request = prepared(
        f"{HOST}/model/m/invoke",
        b"{}",
        **{
            "Content-Type": "application/json",
            "X-Amzn-Bedrock-Trace": "ENABLED",
            "User-Agent": "Boto3/1",
            "X-Amz-Date": "20260101T000000Z",
        },
    )
    assert request_from_botocore(request, "InvokeModel").headers == {
        "content-type": "application/json",
        "x-amzn-bedrock-trace": "ENABLED",
    }
