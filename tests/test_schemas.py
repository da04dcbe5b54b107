"""The exported JSON Schema files match the models; the models match the protocol."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.elements import KINDS, ElementError, check_element
from schemas.jsonschema import documents

JSON_DIR = Path(__file__).resolve().parent.parent / "schemas" / "json"


def test_exported_schemas_have_not_drifted_from_the_models():
    docs = documents()
    on_disk = {p.name for p in JSON_DIR.glob("*.schema.json")}
    assert on_disk == set(docs), "run `tussentafel schemas export` and commit schemas/json"
    for name, doc in docs.items():
        saved = json.loads((JSON_DIR / name).read_text())
        assert saved == json.loads(json.dumps(doc)), (
            f"{name} drifted: run `tussentafel schemas export`")


def test_every_kind_of_the_protocol_has_a_model():
    assert set(KINDS) == {
        "table", "domain", "territory", "link", "grade_scale", "grade_vote", "role_card", "note",
        "lane", "milestone", "ritual", "stroke", "text", "frame", "vote",
    }


def test_link_uses_from_on_the_wire():
    base = {"id": "l", "kind": "link", "x": 0, "y": 0, "z": "a", "to": "b", "rel": "decides"}
    check_element({**base, "from": "a"})
    with pytest.raises(ElementError):
        check_element({**base, "from_": "a"})
    schema = documents()["element.link.schema.json"]
    assert "from" in schema["properties"] and "from" in schema["required"]


def test_check_element_errors_are_short_and_name_the_field():
    with pytest.raises(ElementError) as err:
        check_element({"id": "n", "kind": "note", "x": 0, "y": 0, "z": "a", "text": 5,
                       "w": 1, "h": 1})
    assert str(err.value).startswith("text:")
    with pytest.raises(ElementError, match="unknown element kind"):
        check_element({"id": "n", "kind": None})
    with pytest.raises(ElementError, match="must be a map"):
        check_element(["not", "a", "map"])
