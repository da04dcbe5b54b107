"""The JSON Schema documents exported to ``schemas/json/`` (pure: builds dicts).

Every file is Draft 2020-12, valid in the strict modes of Ajv and of Python's
``jsonschema``, with an ``$id`` under ``BASE`` (whose ``v1`` is the protocol
version) and a ``$comment`` naming the version. Element schemas are built
from the kind registry (``schemas/kinds.py``, geometry in their
``description``); messages, events and REST bodies from their pydantic models.
Schemas name each other by file name (``$ref: "element.schema.json"``), so a
validator needs them all loaded (see ``tests/test_traffic.py``).

``tussentafel schemas export`` writes them; ``tests/test_schemas.py`` fails when
the committed files drift from the models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from schemas.events import EVENTS
from schemas.kinds import (
    DATE_PATTERN,
    ID_PATTERN,
    KINDS,
    MAX_COORD,
    MAX_POINTS,
    MAX_STRING,
    MAX_TAG,
    Field,
    Kind,
)
from schemas.messages import (
    CLIENT_MESSAGES,
    COMMANDS,
    EXTERNAL_REF,
    OPS,
    PROTOCOL_VERSION,
    SERVER_MESSAGES,
    Cmd,
)
from schemas.rest import BODIES

JSON_DIR_NAME = "json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE = f"https://tussentafel.example/schemas/v{PROTOCOL_VERSION}/"

_ID = {"type": "string", "pattern": ID_PATTERN}
_COORD = {"type": "number", "minimum": -MAX_COORD, "maximum": MAX_COORD}
_STAMP = {"type": "integer", "minimum": 0}
_TYPES: dict[str, dict[str, Any]] = {
    "text": {"type": "string", "maxLength": MAX_STRING},
    "id": _ID,
    "size": {"type": "number", "minimum": 0, "maximum": MAX_COORD},
    "date": {"type": "string", "format": "date", "pattern": DATE_PATTERN},
    "points": {"type": "array", "items": _COORD, "maxItems": MAX_POINTS,
               "description": "flat x0, y0, x1, y1, ... (an even count: not expressible here)"},
}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _field(spec: Field) -> dict[str, Any]:
    if spec.type == "enum":
        schema: dict[str, Any] = {"type": "string", "enum": list(spec.values)}
    else:
        schema = dict(_TYPES[spec.type])
    return schema if spec.required else _nullable(schema)


def describe(kind: Kind) -> str:
    """One paragraph on a kind: what it is for and where it is (docs and schemas)."""
    geo = kind.geometry
    parts = [f"{kind.title} ({kind.exercise}).", f"Geometry: {geo.text}."]
    if geo.size:
        parts.append(f"Fixed size {geo.size[0]:g} by {geo.size[1]:g}.")
    if kind.main:
        parts.append(f"Main text: `{kind.main}`.")
    if kind.insights:
        parts.append(f"Feeds the insights: {', '.join(kind.insights)}.")
    return " ".join(parts)


def element_schema(kind: Kind) -> dict[str, Any]:
    """The JSON Schema of one element kind, from the registry."""
    properties: dict[str, Any] = {
        "id": _ID,
        "kind": {"const": kind.name},
        "x": _COORD,
        "y": _COORD,
        "z": {"type": "string", "maxLength": MAX_TAG},
        "parent": _nullable(_ID),
        "locked": _nullable({"type": "boolean"}),
        "private": _nullable({"type": "boolean"}),
        "author": _nullable({"type": "string", "maxLength": MAX_TAG}),
        "v": _nullable(_STAMP),
        "created": _nullable(_STAMP),
        "updated": _nullable(_STAMP),
    }
    for spec in kind.fields:
        properties[spec.name] = _field(spec)
    required = ["id", "kind", "x", "y", "z", *(f.name for f in kind.fields if f.required)]
    return {
        "title": kind.name,
        "description": describe(kind),
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _clean(node: Any) -> Any:
    """Pydantic's output made standard: external refs become ``$ref``, and its
    OpenAPI ``discriminator`` (unknown to JSON Schema) goes."""
    if isinstance(node, list):
        return [_clean(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "discriminator":
            continue
        out["$ref" if key == EXTERNAL_REF else key] = _clean(value)
    return out


def _model(model: type[BaseModel]) -> dict[str, Any]:
    schema: dict[str, Any] = _clean(model.model_json_schema(by_alias=True, mode="validation"))
    if model.__doc__ and "description" in schema:
        schema["description"] = " ".join(schema["description"].split())
    return schema


def _cmd() -> dict[str, Any]:
    """``cmd`` with a known ``name`` and that command's ``args`` (the server
    answers others with a refused ``result``)."""
    schema = _model(Cmd)
    schema["properties"]["name"] = {"type": "string", "enum": list(COMMANDS)}
    schema["allOf"] = [
        {"if": {"properties": {"name": {"const": name}}, "required": ["name"]},
         "then": {"properties": {"args": _model(args)}}}
        for name, args in COMMANDS.items()
    ]
    return schema


def _one_of(title: str, names: list[str]) -> dict[str, Any]:
    return {"title": title, "oneOf": [{"$ref": name} for name in names]}


def _stem(model: type[BaseModel]) -> str:
    return model.__name__.lower()


def documents() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, for every element kind, op, message and REST body."""
    docs: dict[str, dict[str, Any]] = {}
    for kind in KINDS.values():
        docs[f"element.{kind.name}.schema.json"] = element_schema(kind)
    docs["element.schema.json"] = _one_of("element", [f"element.{k}.schema.json" for k in KINDS])
    ops = [f"op.{op.__name__.removesuffix('Op').lower()}.schema.json" for op in OPS]
    for name, op in zip(ops, OPS, strict=True):
        docs[name] = _model(op)
    docs["op.schema.json"] = _one_of("op", ops)
    clients = [f"client.{_stem(m)}.schema.json" for m in CLIENT_MESSAGES]
    for name, model in zip(clients, CLIENT_MESSAGES, strict=True):
        docs[name] = _cmd() if model is Cmd else _model(model)
    docs["client-message.schema.json"] = _one_of("client message", clients)
    servers = []
    for model in SERVER_MESSAGES:
        stem = _stem(model)
        if model in EVENTS:
            stem = "event." + stem.removesuffix("event")
        servers.append(f"server.{stem}.schema.json")
        docs[servers[-1]] = _model(model)
    docs["server-message.schema.json"] = _one_of("server message", servers)
    for stem, body in BODIES.items():
        docs[f"http.{stem}.schema.json"] = _model(body)
    return {name: _stamp(name, doc) for name, doc in docs.items()}


def _stamp(name: str, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "$id": BASE + name,
        "$comment": f"Tussentafel protocol version {PROTOCOL_VERSION}",
        **doc,
    }
