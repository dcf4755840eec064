"""The shipped JSON Schemas: well-formed 2020-12, documented, and in sync with their generator."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
FILES = sorted(SCHEMA_DIR.glob("*.json"))
IDS = [path.stem for path in FILES]


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _property_maps(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ``properties`` object in a schema, with its location."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                yield where, value
            yield from _property_maps(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _property_maps(value, f"{where}/{index}")


def test_schemas_exist() -> None:
    assert len(FILES) >= 40


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_schema_is_valid_2020_12(path: Path) -> None:
    schema = _load(path)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_schema_has_id_title_description(path: Path) -> None:
    schema = _load(path)
    assert schema["$id"] == f"urn:bedrock-vcr:schema:{path.stem}"
    assert schema["title"].strip()
    assert len(schema["description"]) > 20


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_property_is_described(path: Path) -> None:
    missing = [
        f"{where}/properties/{name}"
        for where, props in _property_maps(_load(path))
        for name, sub in props.items()
        if not (isinstance(sub, dict) and sub.get("description", "").strip())
    ]
    assert missing == []


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_local_refs_resolve(path: Path) -> None:
    schema = _load(path)
    for ref in set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(schema))):
        assert ref.startswith("#/"), ref
        node: Any = schema
        for part in ref[2:].split("/"):
            node = node[part]
        assert isinstance(node, dict)


@pytest.mark.parametrize(
    "path", [p for p in FILES if p.stem.endswith(".request")], ids=lambda p: p.stem
)
def test_requests_reject_unknown_keys(path: Path) -> None:
    schema = _load(path)
    assert schema.get("additionalProperties") is False


def test_titan_variants_carry_per_model_maxima() -> None:
    defs = _load(SCHEMA_DIR / "amazon.titan-text.request.json")["$defs"]
    maxima = {
        name: d["properties"]["textGenerationConfig"]["properties"]["maxTokenCount"]["maximum"]
        for name, d in defs.items()
    }
    assert maxima == {"variant-lite": 4096, "variant-express": 8192, "variant-premier": 3072}


def _builder() -> Any:
    spec = importlib.util.spec_from_file_location(
        "build_schemas", SCHEMA_DIR / "_tools" / "build_schemas.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_native_schemas_match_their_generator() -> None:
    builder = _builder()
    stale = [
        builder.file_name(schema)
        for schema in builder.native_schemas()
        if (SCHEMA_DIR / builder.file_name(schema)).read_text(encoding="utf-8")
        != builder.render(schema)
    ]
    assert stale == [], "run python schemas/_tools/build_schemas.py"


def test_converse_schemas_match_generator_for_same_botocore() -> None:
    import botocore

    builder = _builder()
    committed = _load(SCHEMA_DIR / "bedrock.converse.request.json")
    if committed["$comment"] != f"botocore {botocore.__version__}":
        pytest.skip(f"schemas were generated with {committed['$comment']}")
    for schema in builder.converse():
        path = SCHEMA_DIR / builder.file_name(schema)
        assert path.read_text(encoding="utf-8") == builder.render(schema), path.name


def test_converse_request_follows_service_model() -> None:
    schema = _load(SCHEMA_DIR / "bedrock.converse.request.json")
    config = schema["$defs"]["InferenceConfiguration"]
    assert set(config["properties"]) == {"maxTokens", "temperature", "topP", "stopSequences"}
    assert schema["$defs"]["InferenceConfigurationTemperatureFloat"]["maximum"] == 1
    assert "modelId" not in schema["properties"]  # carried in the URL
    event = _load(SCHEMA_DIR / "bedrock.converse-stream.event.json")
    assert {"messageStart", "contentBlockDelta", "messageStop", "metadata"} <= set(
        event["properties"]
    )
