"""The JSON Schema documents exported to ``schemas/json/`` (pure: builds dicts).

``tussentafel schemas export`` writes them; ``tests/test_schemas.py`` fails when
the committed files drift from the models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from schemas.elements import KINDS
from schemas.messages import CLIENT_MESSAGES, OPS, SERVER_MESSAGES

JSON_DIR_NAME = "json"


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(by_alias=True, mode="validation")


def documents() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, for every element kind, op and message."""
    docs: dict[str, dict[str, Any]] = {}
    for kind, element in KINDS.items():
        docs[f"element.{kind}.schema.json"] = _schema(element)
    for op in OPS:
        docs[f"op.{op.__name__.removesuffix('Op').lower()}.schema.json"] = _schema(op)
    for client in CLIENT_MESSAGES:
        docs[f"client.{client.__name__.lower()}.schema.json"] = _schema(client)
    for server in SERVER_MESSAGES:
        docs[f"server.{server.__name__.lower()}.schema.json"] = _schema(server)
    return docs
