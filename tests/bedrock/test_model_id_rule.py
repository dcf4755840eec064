"""The service model's ``modelId`` rule, kept in the package (``bedrock.model_id_rule``).

The server checks model ids with it, so what it accepts does not depend on the installed
botocore: an older botocore's pattern rejects ``us.`` inference-profile ids.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bedrock_vcr.bedrock import model_id_rule

ACCEPTED = [
    "meta.llama3-8b-instruct-v1:0",
    "us.meta.llama3-2-1b-instruct-v1:0",
    "us.amazon.nova-lite-v1:0",
    "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-8b-instruct-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:prompt/ABCDEFGHIJ",
]


@pytest.mark.parametrize("model_id", ACCEPTED)
def test_the_rule_accepts_the_ids_bedrock_accepts(model_id: str) -> None:
    assert model_id_rule.problem(model_id) is None


@pytest.mark.parametrize(
    ("model_id", "problem"),
    [
        ("", "Member must have length greater than or equal to 1"),
        ("a" * 2049, "Member must have length less than or equal to 2048"),
        ("bad model!", "Member must satisfy regular expression pattern: "),
    ],
    ids=["empty", "too-long", "pattern"],
)
def test_the_rule_names_the_constraint_an_id_breaks(model_id: str, problem: str) -> None:
    assert (model_id_rule.problem(model_id) or "").startswith(problem)


def test_the_server_checks_model_ids_without_botocore() -> None:
    code = (
        "import sys\n"
        "from bedrock_vcr.server import app\n"
        "assert app._check_model_id('us.meta.llama3-2-1b-instruct-v1:0') is None\n"
        "assert app._check_model_id('bad model!') is not None\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'botocore'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_rule_is_the_installed_botocore_s_when_that_is_as_new() -> None:
    """Catches Bedrock widening the rule: a newer botocore that disagrees fails here."""
    import botocore
    import botocore.session

    installed = tuple(int(part) for part in botocore.__version__.split(".")[:3])
    if installed < model_id_rule.TAKEN_FROM:
        pytest.skip(f"botocore {botocore.__version__} predates the rule's source")
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    for operation in ("InvokeModel", "InvokeModelWithResponseStream", "Converse"):
        meta = model.operation_model(operation).input_shape.members["modelId"].metadata
        assert meta["min"] == model_id_rule.MIN_LENGTH
        assert meta["max"] == model_id_rule.MAX_LENGTH
        for model_id in ACCEPTED + ["bad model!", "x y"]:
            ours = model_id_rule.PATTERN.fullmatch(model_id) is not None
            assert ours == (re.fullmatch(meta["pattern"], model_id) is not None)
