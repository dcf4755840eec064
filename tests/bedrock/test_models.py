"""Model id resolution: every spelling of a model id finds its family."""

from __future__ import annotations

import pytest

from bedrock_vcr.bedrock.models import FAMILIES, UNKNOWN, resolve_model

PROFILE_ARN = (
    "arn:aws:bedrock:us-east-1:012345678901:inference-profile/"
    "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
)

CASES = [
    # (model id as passed, base id, family, variants)
    ("meta.llama3-70b-instruct-v1:0", "meta.llama3-70b-instruct-v1:0", "meta.llama", ("text",)),
    ("meta.llama3-70b-instruct-v1%3A0", "meta.llama3-70b-instruct-v1:0", "meta.llama", ("text",)),
    ("meta.llama2-13b-chat-v1", "meta.llama2-13b-chat-v1", "meta.llama", ("text",)),
    ("us.meta.llama3-2-11b-instruct-v1:0", "meta.llama3-2-11b-instruct-v1:0", "meta.llama", ()),
    ("meta.llama3-2-1b-instruct-v1:0", "meta.llama3-2-1b-instruct-v1:0", "meta.llama", ("text",)),
    (
        "us.meta.llama4-scout-17b-instruct-v1:0",
        "meta.llama4-scout-17b-instruct-v1:0",
        "meta.llama",
        (),
    ),
    ("amazon.titan-text-lite-v1", "amazon.titan-text-lite-v1", "amazon.titan-text", ("lite",)),
    (
        "amazon.titan-text-express-v1",
        "amazon.titan-text-express-v1",
        "amazon.titan-text",
        ("express",),
    ),
    (
        "amazon.titan-text-premier-v1:0",
        "amazon.titan-text-premier-v1:0",
        "amazon.titan-text",
        ("premier",),
    ),
    ("amazon.titan-embed-text-v1", "amazon.titan-embed-text-v1", "amazon.titan-embed-v1", ()),
    ("amazon.titan-embed-text-v2:0", "amazon.titan-embed-text-v2:0", "amazon.titan-embed-v2", ()),
    ("amazon.nova-micro-v1%3A0", "amazon.nova-micro-v1:0", "amazon.nova", ()),
    ("jp.amazon.nova-2-lite-v1:0", "amazon.nova-2-lite-v1:0", "amazon.nova", ()),
    ("ai21.jamba-1-5-large-v1:0", "ai21.jamba-1-5-large-v1:0", "ai21.jamba", ()),
    ("ai21.jamba-instruct-v1:0", "ai21.jamba-instruct-v1:0", "ai21.jamba", ()),
    ("ai21.j2-mid-v1", "ai21.j2-mid-v1", "ai21.j2", ()),
    ("anthropic.claude-v2", "anthropic.claude-v2", "anthropic.claude-text", ()),
    ("anthropic.claude-v2%3A1", "anthropic.claude-v2:1", "anthropic.claude-text", ()),
    ("anthropic.claude-instant-v1", "anthropic.claude-instant-v1", "anthropic.claude-text", ()),
    (
        "anthropic.claude-3-sonnet-20240229-v1:0",
        "anthropic.claude-3-sonnet-20240229-v1:0",
        "anthropic.claude-messages",
        (),
    ),
    (
        "global.anthropic.claude-haiku-4-5-20251001-v1:0",
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "anthropic.claude-messages",
        (),
    ),
    (
        "eu.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "anthropic.claude-messages",
        (),
    ),
    (
        "apac.anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-messages",
        (),
    ),
    (
        "us-gov.anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-messages",
        (),
    ),
    (
        "au.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "anthropic.claude-messages",
        (),
    ),
    ("ca.amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0", "amazon.nova", ()),
    (PROFILE_ARN, "anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic.claude-messages", ()),
    (
        "arn%3Aaws%3Abedrock%3Aus-east-1%3A012345678901%3Ainference-profile%2F"
        "us.anthropic.claude-3-7-sonnet-20250219-v1%3A0",
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        "anthropic.claude-messages",
        (),
    ),
    (
        "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-8b-instruct-v1:0",
        "meta.llama3-8b-instruct-v1:0",
        "meta.llama",
        ("text",),
    ),
    (
        "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/amazon.titan-text-express-v1",
        "amazon.titan-text-express-v1",
        "amazon.titan-text",
        ("express",),
    ),
    ("cohere.command-text-v14", "cohere.command-text-v14", "cohere.command", ()),
    ("cohere.command-light-text-v14", "cohere.command-light-text-v14", "cohere.command", ()),
    ("cohere.command-r-plus-v1:0", "cohere.command-r-plus-v1:0", "cohere.command-r", ()),
    ("cohere.embed-multilingual-v3", "cohere.embed-multilingual-v3", "cohere.embed", ()),
    (
        "mistral.mistral-7b-instruct-v0%3A2",
        "mistral.mistral-7b-instruct-v0:2",
        "mistral.text",
        ("max-8192",),
    ),
    (
        "mistral.mixtral-8x7b-instruct-v0:1",
        "mistral.mixtral-8x7b-instruct-v0:1",
        "mistral.text",
        ("max-4096",),
    ),
    (
        "mistral.mistral-large-2407-v1:0",
        "mistral.mistral-large-2407-v1:0",
        "mistral.chat",
        ("max-8192",),
    ),
    (
        "us.mistral.pixtral-large-2502-v1:0",
        "mistral.pixtral-large-2502-v1:0",
        "mistral.chat",
        ("max-8192",),
    ),
]

UNKNOWN_IDS = [
    "does-not-exist",
    "arn:aws:sagemaker:us-east-1:767398002385:endpoint/endpoint-quick-start-idr7y",
    "arn%3Aaws%3Asagemaker%3Aus-east-1%3A767398002385%3Aendpoint%2Fendpoint-quick-start-idr7y",
    "arn:aws:bedrock:us-east-1:123456789012:custom-model/meta.llama3-8b-instruct-v1:0/abcdef123456",
    "arn:aws:bedrock:us-east-1:123456789012:imported-model/abc123def456",
    "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456",
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
    "stability.stable-diffusion-xl-v1",
    "us.unknownvendor.model-v1:0",
]


@pytest.mark.parametrize(
    ("model_id", "base_id", "family", "variants"), CASES, ids=[case[0][:70] for case in CASES]
)
def test_resolves_known_ids(model_id: str, base_id: str, family: str, variants: tuple) -> None:
    info = resolve_model(model_id)
    assert (info.model_id, info.base_id, info.family, info.variants) == (
        model_id,
        base_id,
        family,
        variants,
    )
    assert info.known


@pytest.mark.parametrize("model_id", UNKNOWN_IDS, ids=UNKNOWN_IDS)
def test_unresolvable_ids_are_unknown(model_id: str) -> None:
    info = resolve_model(model_id)
    assert info.family == UNKNOWN
    assert not info.known


def test_profile_and_arn_details_are_kept() -> None:
    info = resolve_model(PROFILE_ARN)
    assert (info.profile, info.arn_type) == ("us", "inference-profile")
    assert resolve_model("eu.meta.llama3-2-1b-instruct-v1:0").profile == "eu"


@pytest.mark.parametrize(
    ("model_id", "maximum"),
    [
        ("amazon.titan-text-lite-v1", 4096),
        ("amazon.titan-text-express-v1", 8192),
        ("amazon.titan-text-premier-v1:0", 3072),
        ("meta.llama3-8b-instruct-v1:0", None),
    ],
    ids=["lite", "express", "premier", "llama-none"],
)
def test_max_tokens_per_model(model_id: str, maximum: int | None) -> None:
    assert resolve_model(model_id).max_tokens == maximum


def test_override_by_exact_id_maps_a_custom_model() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:imported-model/abc123def456"
    info = resolve_model(arn, {arn: "meta.llama"})
    assert info.family == "meta.llama"


def test_override_by_pattern_and_variant() -> None:
    overrides = {"arn:aws:bedrock:*:custom-model/*": "amazon.titan-text:lite"}
    info = resolve_model(
        "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Acustom-model%2Fx.y%2Fabcdef123456",
        overrides,
    )
    assert (info.family, info.variants, info.max_tokens) == ("amazon.titan-text", ("lite",), 4096)


def test_override_wins_over_builtin_table() -> None:
    assert resolve_model("meta.llama3-8b-instruct-v1:0", {"meta.*": "mistral.text"}).family == (
        "mistral.text"
    )


def test_override_to_unknown_family_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"unknown family.*known families: .*meta\.llama"):
        resolve_model("x", {"x": "no.such-family"})


def test_families_have_schemas() -> None:
    from bedrock_vcr.validation.schemas import available_schemas

    names = set(available_schemas())
    for family in FAMILIES - {UNKNOWN}:
        assert f"{family}.request" in names, family
        assert f"{family}.response" in names, family
