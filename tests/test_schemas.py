"""The exported JSON Schema files match the models; the models match the protocol."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from jsonschema import Draft202012Validator, FormatChecker

from schemas.elements import KINDS, ElementBase, ElementError, check_element
from schemas.export import DOC_PATH, doc_table, generated
from schemas.jsonschema import documents
from schemas.kinds import KINDS as REGISTRY
from schemas.kinds import SIZES
from schemas.messages import PROTOCOL_VERSION
from tests import schema_check, strategies
from tests.conftest import ROOT

JSON_DIR = Path(__file__).resolve().parent.parent / "schemas" / "json"


def test_exported_schemas_have_not_drifted_from_the_models() -> None:
    docs = documents()
    on_disk = {p.name for p in JSON_DIR.glob("*.schema.json")}
    assert on_disk == set(docs), "run `tussentafel schemas export` and commit schemas/json"
    for name, doc in docs.items():
        saved = json.loads((JSON_DIR / name).read_text())
        assert saved == json.loads(json.dumps(doc)), (
            f"{name} drifted: run `tussentafel schemas export`")


def test_every_kind_of_the_protocol_has_a_model() -> None:
    assert set(KINDS) == {
        "table", "domain", "territory", "link", "grade_scale", "grade_vote", "role_card", "note",
        "lane", "milestone", "ritual", "stroke", "text", "frame", "vote",
    }


def test_link_uses_from_on_the_wire() -> None:
    base = {"id": "l", "kind": "link", "x": 0, "y": 0, "z": "a", "to": "b", "rel": "decides"}
    check_element({**base, "from": "a"})
    with pytest.raises(ElementError):
        check_element({**base, "from_": "a"})
    schema = documents()["element.link.schema.json"]
    assert "from" in schema["properties"] and "from" in schema["required"]


def test_check_element_errors_are_short_and_name_the_field() -> None:
    with pytest.raises(ElementError) as err:
        check_element({"id": "n", "kind": "note", "x": 0, "y": 0, "z": "a", "text": 5,
                       "w": 1, "h": 1})
    assert str(err.value).startswith("text:")
    with pytest.raises(ElementError, match="unknown element kind"):
        check_element({"id": "n", "kind": None})
    with pytest.raises(ElementError, match="must be a map"):
        check_element(["not", "a", "map"])


# -- the kind registry and what is generated from it --------------------------


def test_the_models_are_the_registry_kinds() -> None:
    assert list(KINDS) == list(REGISTRY)
    for name, kind in REGISTRY.items():
        model = KINDS[name].model_json_schema(by_alias=True)
        declared = {f.name for f in kind.fields}
        assert set(model["properties"]) - set(ElementBase.model_fields) - {"kind"} == declared
        required = set(model["required"]) - {"id", "x", "y", "z", "kind"}
        assert required == {f.name for f in kind.fields if f.required}, name


def test_generated_js_ts_and_docs_table_are_current() -> None:
    for path, text in generated().items():
        assert (ROOT / path).read_text() == text, (
            f"{path} is stale: run `tussentafel schemas export`")
    page = (ROOT / DOC_PATH).read_text()
    assert doc_table() in page, "the kinds table of docs/protocol.md is stale: run the export"


def test_browser_and_svg_export_take_sizes_from_the_registry() -> None:
    from server.report import render_shapes

    assert render_shapes.SIZES is SIZES
    assert SIZES["ritual"] == (260.0, 140.0)
    geometry = (ROOT / "canvas_client" / "web" / "geometry.js").read_text()
    assert "from './kinds.js'" in geometry
    assert "ritual: [" not in geometry  # no copy of a size table on the browser side
    script = ("import('./canvas_client/web/geometry.js').then((g) => process.stdout.write("
              "JSON.stringify([g.SIZES, g.box({kind: 'ritual', x: 0, y: 0})])))")
    run = subprocess.run(["node", "--input-type=module", "-e", script], cwd=ROOT,
                         capture_output=True, text=True, timeout=30, check=True)
    browser_sizes, ritual_box = json.loads(run.stdout)
    assert {k: tuple(v) for k, v in browser_sizes.items()} == SIZES
    assert ritual_box == [0, 0, 260, 140]


# -- valid JSON Schema, in the strict modes of both validators -----------------


def test_every_schema_is_valid_draft_2020_12_without_unknown_keywords() -> None:
    docs = schema_check.schemas()
    for name, doc in docs.items():
        Draft202012Validator.check_schema(doc, format_checker=FormatChecker())
        assert doc["$id"].endswith(f"/v{PROTOCOL_VERSION}/{name}")
        assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema_check.unknown_keywords(doc) == [], name
    for required in ("client-message.schema.json", "server-message.schema.json",
                     "element.schema.json", "op.schema.json", "http.state.response.schema.json",
                     *(f"server.event.{e}.schema.json" for e in
                       ("timer", "follow", "private", "reveal", "lock", "snapshot", "insights"))):
        assert required in docs


def test_the_strict_check_notices_pydantic_keywords() -> None:
    assert schema_check.unknown_keywords({"properties": {"w": {"type": "number", "ge": 0}}}) == [
        "#/properties/w/ge"]


def test_ajv_compiles_every_schema_in_strict_mode() -> None:
    assert schema_check.ajv([]) == []


def test_ops_and_messages_name_their_typed_parts() -> None:
    docs = schema_check.schemas()
    put = docs["op.put.schema.json"]["properties"]["el"]
    assert put["$ref"] == "element.schema.json"
    push = docs["client.push.schema.json"]["properties"]["ops"]
    assert push["items"] == {"$ref": "op.schema.json"} and push["minItems"] == 1
    assert docs["server.patch.schema.json"]["properties"]["ops"]["items"] == {
        "$ref": "op.schema.json"}
    assert docs["server.welcome.schema.json"]["properties"]["elements"]["items"] == {
        "$ref": "element.schema.json"}
    note = docs["element.note.schema.json"]
    assert "top-left corner" in note["description"]
    assert "Fixed size 260 by 140" in docs["element.ritual.schema.json"]["description"]


_NOTE = {"id": "n1", "kind": "note", "x": 0, "y": 0, "z": "a0", "text": "hi", "w": 10, "h": 10}
_OUT_OF_RANGE = [
    {**_NOTE, "x": 2_000_000},
    {**_NOTE, "w": -1},
    {"id": "t", "kind": "table", "x": 0, "y": 0, "z": "a", "label": "T", "r": -5},
    {"id": "l", "kind": "lane", "x": 0, "y": 0, "z": "a", "label": "L", "start": "2024-02-30",
     "end": "2024-03-01"},
    {"id": "l", "kind": "lane", "x": 0, "y": 0, "z": "a", "label": "L", "start": "20240201",
     "end": "2024-03-01"},
    {**_NOTE, "text": "x" * 2001},
    {**_NOTE, "id": "bad id"},
    {**_NOTE, "topic": "gossip"},
    {**_NOTE, "unknown": 1},
    {"id": "s", "kind": "stroke", "x": 0, "y": 0, "z": "a", "points": [0] * 10_002,
     "color": "#000", "width": 1},
]


def test_out_of_range_elements_fail_both_validators_and_the_model() -> None:
    for el in _OUT_OF_RANGE:
        with pytest.raises(ElementError):
            check_element(el)
        assert schema_check.python_errors("element.schema.json", el), el
    verdicts = schema_check.ajv([("element.schema.json", el) for el in [_NOTE, *_OUT_OF_RANGE]])
    assert verdicts[0] is None
    assert all(v is not None for v in verdicts[1:]), verdicts
    assert schema_check.python_errors("element.schema.json", _NOTE) == []


@settings(max_examples=200, deadline=None)
@given(strategies.elements())
def test_schema_and_model_agree_on_elements(el: dict[str, Any]) -> None:
    """Where JSON Schema can express the bound (not NaN, not an odd point count),
    the element schema and the server's model give the same verdict."""
    points = el.get("points", [])
    assume(all(v == v for v in (el["x"], el["y"])) and len(points) % 2 == 0)
    try:
        check_element(el)
        valid = True
    except ElementError:
        valid = False
    assert (schema_check.python_errors("element.schema.json", el) == []) == valid


def test_documented_shapes_use_the_servers_constants() -> None:
    from typing import get_args

    from schemas import events, rest
    from server.core import templates
    from server.report import insights

    assert get_args(rest.Template) == templates.TEMPLATES
    assert get_args(events.RoleRule.model_fields["rule"].annotation) == insights.RULES
    days = events.NearMilestones.model_json_schema()["properties"]["days"]
    assert days["maximum"] == insights.NEAR_DAYS
