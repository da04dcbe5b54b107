"""Validate data against schemas/json with both validators the project supports:
Python ``jsonschema`` (Draft 2020-12 with its FormatChecker) and Ajv in strict
mode (``tests/js``, installed by ``npm ci --prefix tests/js``)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parent.parent
JSON_DIR = ROOT / "schemas" / "json"
JS_DIR = ROOT / "tests" / "js"

#: Every keyword of Draft 2020-12 (core, applicator, unevaluated, validation,
#: format-annotation, content, meta-data): anything else is a typo or pydantic's.
KEYWORDS = frozenset({
    "$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary",
    "$comment", "$defs", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
    "dependentSchemas", "prefixItems", "items", "contains", "properties", "patternProperties",
    "additionalProperties", "propertyNames", "unevaluatedItems", "unevaluatedProperties",
    "type", "const", "enum", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
    "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties", "required",
    "dependentRequired", "format", "contentEncoding", "contentMediaType", "contentSchema",
    "title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
})
_MAPS = {"properties", "patternProperties", "$defs", "dependentSchemas"}


@cache
def schemas() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(JSON_DIR.glob("*.schema.json"))}


def unknown_keywords(schema: Any, where: str = "#") -> list[str]:
    """Keywords outside Draft 2020-12 anywhere in ``schema`` (Python's strict check)."""
    found: list[str] = []
    if isinstance(schema, list):
        for i, item in enumerate(schema):
            found += unknown_keywords(item, f"{where}/{i}")
        return found
    if not isinstance(schema, dict):
        return found
    for key, value in schema.items():
        if key not in KEYWORDS:
            found.append(f"{where}/{key}")
        elif key in _MAPS:
            for name, sub in value.items():
                found += unknown_keywords(sub, f"{where}/{key}/{name}")
        elif key not in ("enum", "const", "default", "examples", "required", "type"):
            found += unknown_keywords(value, f"{where}/{key}")
    return found


@cache
def _registry() -> Registry:
    resources = [(doc["$id"], Resource.from_contents(doc)) for doc in schemas().values()]
    return Registry().with_resources(resources)


@cache
def python_validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schemas()[name], registry=_registry(),
                                format_checker=FormatChecker())


def python_errors(name: str, data: Any) -> list[str]:
    return [e.message for e in python_validator(name).iter_errors(data)]


def ajv(cases: list[tuple[str, Any]]) -> list[Any]:
    """Ajv's verdict per (schema file, data): None when valid, else its errors.

    Raises:
        AssertionError: a schema does not compile in Ajv's strict mode.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump([{"schema": s, "data": d} for s, d in cases], out)
    try:
        run = subprocess.run(["node", str(JS_DIR / "validate.mjs"), str(JSON_DIR), out.name],
                             capture_output=True, text=True, timeout=60, check=False)
    finally:
        Path(out.name).unlink()
    assert run.returncode == 0, f"ajv: {run.stdout} {run.stderr}"
    verdicts: list[Any] = json.loads(run.stdout)
    return verdicts
