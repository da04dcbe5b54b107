"""Board elements: one pydantic model per kind, built from ``schemas/kinds.py`` (§4, §5).

Models validate; they never transform. The server stores the dict a client
sent (minus the stamps it owns), so a field the client left out stays absent
and every replica that applies the same ops holds the same state. Hence
``strict=True`` (no coercion: ``"1"`` is not a number, ``true`` is not 1) and
``extra="forbid"`` (an unknown field is ``invalid``).
"""

from __future__ import annotations

import datetime
import keyword
import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model

from schemas.kinds import (
    CONTENT_ROLES,
    DATE_PATTERN,
    ENUMS,
    ID_PATTERN,
    MAX_COORD,
    MAX_DATE,
    MAX_POINTS,
    MAX_STRING,
    MAX_TAG,
    PROCESS_ROLES,
)
from schemas.kinds import KINDS as REGISTRY
from schemas.kinds import Field as KindField

__all__ = [
    "CONTENT_ROLES", "GRADES", "ID_PATTERN", "KINDS", "MAX_COORD", "MAX_POINTS", "MAX_STRING",
    "PROCESS_ROLES", "STAMPS", "ElementBase", "ElementError", "check_element",
]

#: Fields the server stamps; a client's values for them are ignored.
STAMPS = ("author", "v", "created", "updated")


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _iso_date(value: str) -> str:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO date (YYYY-MM-DD)") from None
    return value


def _even(value: list[float]) -> list[float]:
    if len(value) % 2:
        raise ValueError("must hold x, y pairs (an even count of numbers)")
    return value


ElementId = Annotated[str, Field(pattern=ID_PATTERN)]
Text = Annotated[str, Field(max_length=MAX_STRING)]
Coord = Annotated[float, AfterValidator(_finite), Field(ge=-MAX_COORD, le=MAX_COORD)]
Size = Annotated[float, AfterValidator(_finite), Field(ge=0, le=MAX_COORD)]
# The pattern first: Python's fromisoformat alone also takes 20240131 and 2024-W05-3.
IsoDate = Annotated[str, Field(max_length=MAX_DATE, pattern=DATE_PATTERN),
                    AfterValidator(_iso_date)]
Points = Annotated[list[Coord], Field(max_length=MAX_POINTS), AfterValidator(_even)]
Tag = Annotated[str, Field(max_length=MAX_TAG)]

#: The integration-grade scale, low to high (Kuitert & Van Buuren).
GRADES: tuple[str, ...] = ENUMS["grade"]

_TYPES: dict[str, Any] = {"text": Text, "id": ElementId, "size": Size, "date": IsoDate,
                          "points": Points}


class ElementBase(BaseModel):
    """Fields every kind has. ``author``, ``v``, ``created``, ``updated`` are
    stamped by the server; they are accepted here so stored elements validate."""

    model_config = ConfigDict(strict=True, extra="forbid")

    id: ElementId
    x: Coord
    y: Coord
    z: Tag
    parent: ElementId | None = None
    locked: bool | None = None
    private: bool | None = None
    author: Tag | None = None
    v: Annotated[int, Field(ge=0)] | None = None
    created: Annotated[int, Field(ge=0)] | None = None
    updated: Annotated[int, Field(ge=0)] | None = None


def _annotation(spec: KindField) -> Any:
    if spec.type == "enum":
        return Literal.__getitem__(spec.values)
    return _TYPES[spec.type]


def _model(name: str) -> type[ElementBase]:
    """The pydantic model of one registry kind (strict, no unknown fields)."""
    fields: dict[str, Any] = {"kind": (Literal.__getitem__((name,)), ...)}
    for spec in REGISTRY[name].fields:
        kind = _annotation(spec)
        python = f"{spec.name}_" if keyword.iskeyword(spec.name) else spec.name
        alias = spec.name if python != spec.name else None
        if spec.required:
            fields[python] = (kind, Field(alias=alias))
        else:
            fields[python] = (kind | None, Field(default=None, alias=alias))
    title = "".join(part.title() for part in name.split("_"))
    return create_model(title, __base__=ElementBase, **fields)


#: kind -> its model, in the registry's order.
KINDS: dict[str, type[ElementBase]] = {name: _model(name) for name in REGISTRY}


#: pydantic error types that mean "over a size limit" (``too_large``, not ``invalid``).
SIZE_ERRORS = frozenset({"string_too_long", "too_long"})


class ElementError(ValueError):
    """An element that does not validate; ``str()`` is a short, client-safe reason.

    ``too_large`` is true when the first fault is a size limit (a string over
    ``MAX_STRING`` code points, a list over its length), so that every size
    limit of the protocol has one error code.
    """

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


def check_element(element: Any) -> None:
    """Validate one element dict against its kind's model.

    Raises:
        ElementError: not a map, unknown kind, or a field fails its schema.
    """
    if not isinstance(element, dict):
        raise ElementError("an element must be a map")
    kind = element.get("kind")
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise ElementError(f"unknown element kind {str(kind)[:40]!r}")
    try:
        model.model_validate(element)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        raise ElementError(_describe(exc), too_large=first["type"] in SIZE_ERRORS) from None


def _describe(exc: ValidationError) -> str:
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "element"
    return f"{where}: {first['msg']}"[:300]
