"""Board elements: one pydantic model per kind (docs/protocol.md §4, §5).

Models validate; they never transform. The server stores the dict a client
sent (minus the stamps it owns), so a field the client left out stays absent
and every replica that applies the same ops holds the same state. Hence
``strict=True`` (no coercion: ``"1"`` is not a number, ``true`` is not 1) and
``extra="forbid"`` (an unknown field is ``invalid``).
"""

from __future__ import annotations

import datetime
import math
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MAX_STRING = 2_000
MAX_COORD = 1e6
MAX_POINTS = 10_000

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
IsoDate = Annotated[str, Field(max_length=32), AfterValidator(_iso_date)]
Points = Annotated[list[Coord], Field(max_length=MAX_POINTS), AfterValidator(_even)]


# Enumerations are Literal types: strict validation takes the plain strings
# that arrive on the wire (a StrEnum would want enum instances).
Node = Literal["person", "team", "manager", "table"]
Relation = Literal["member_of", "reports_to", "decides", "escalates_to", "involves"]
#: The integration-grade scale, low to high (Kuitert & Van Buuren).
Grade = Literal["fragmented", "aligned", "coordinated", "integrated"]
GRADES: tuple[str, ...] = get_args(Grade)
Aspect = Literal["current", "ambition"]
Role = Literal[
    "process_facilitator", "chair", "process_manager", "content_representative", "pen_holder",
    "expert", "communication", "external_facilitator", "connector", "custom",
]
PROCESS_ROLES: tuple[str, ...] = (
    "chair", "process_facilitator", "process_manager", "external_facilitator",
)
CONTENT_ROLES: tuple[str, ...] = ("content_representative", "expert")
Acquired = Literal["achieved", "acquired", "assigned", "granted"]
Topic = Literal[
    "why_here", "collective_task", "value", "do", "dont", "decision_rule", "conflict_rule",
    "other",
]
MilestoneKind = Literal["deadline", "decision", "delivery", "ritual"]
Exercise = Literal["task", "time", "territory", "role"]
VoteValue = Literal["agree", "disagree", "plus"]


class ElementBase(BaseModel):
    """Fields every kind has. ``author``, ``v``, ``created``, ``updated`` are
    stamped by the server; they are accepted here so stored elements validate."""

    model_config = ConfigDict(strict=True, extra="forbid")

    id: ElementId
    x: Coord
    y: Coord
    z: Annotated[str, Field(max_length=64)]
    parent: ElementId | None = None
    locked: bool | None = None
    private: bool | None = None
    author: Annotated[str, Field(max_length=64)] | None = None
    v: Annotated[int, Field(ge=0)] | None = None
    created: Annotated[int, Field(ge=0)] | None = None
    updated: Annotated[int, Field(ge=0)] | None = None


class Table(ElementBase):
    kind: Literal["table"]
    label: Text
    r: Size


class Domain(ElementBase):
    kind: Literal["domain"]
    label: Text
    r: Size
    owner: Text | None = None
    home: Text | None = None
    color: Text | None = None


class Territory(ElementBase):
    kind: Literal["territory"]
    label: Text
    node: Node
    owner: Text | None = None


class Link(ElementBase):
    kind: Literal["link"]
    from_: ElementId = Field(alias="from")
    to: ElementId
    rel: Relation
    label: Text | None = None


class GradeScale(ElementBase):
    kind: Literal["grade_scale"]
    label: Text
    question: Text | None = None


class GradeVote(ElementBase):
    kind: Literal["grade_vote"]
    scale: ElementId
    grade: Grade
    aspect: Aspect
    note: Text | None = None


class RoleCard(ElementBase):
    kind: Literal["role_card"]
    role: Role
    title: Text | None = None
    holder: Text | None = None
    table: Text | None = None
    acquired: Acquired | None = None


class Note(ElementBase):
    kind: Literal["note"]
    text: Text
    topic: Topic | None = None
    color: Text | None = None
    w: Size
    h: Size


class Lane(ElementBase):
    kind: Literal["lane"]
    label: Text
    start: IsoDate
    end: IsoDate


class Milestone(ElementBase):
    kind: Literal["milestone"]
    lane: ElementId
    date: IsoDate
    label: Text
    milestone: MilestoneKind


class Ritual(ElementBase):
    kind: Literal["ritual"]
    moment: Text
    focus: Text
    symbol: Text
    when: Text | None = None


class Stroke(ElementBase):
    kind: Literal["stroke"]
    points: Points
    color: Text
    width: Size


class FreeText(ElementBase):
    kind: Literal["text"]
    text: Text
    size: Size | None = None


class Frame(ElementBase):
    kind: Literal["frame"]
    label: Text
    w: Size
    h: Size
    exercise: Exercise | None = None


class Vote(ElementBase):
    kind: Literal["vote"]
    target: ElementId
    value: VoteValue


KINDS: dict[str, type[ElementBase]] = {
    "table": Table,
    "domain": Domain,
    "territory": Territory,
    "link": Link,
    "grade_scale": GradeScale,
    "grade_vote": GradeVote,
    "role_card": RoleCard,
    "note": Note,
    "lane": Lane,
    "milestone": Milestone,
    "ritual": Ritual,
    "stroke": Stroke,
    "text": FreeText,
    "frame": Frame,
    "vote": Vote,
}


class ElementError(ValueError):
    """An element that does not validate; ``str()`` is a short, client-safe reason."""


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
        raise ElementError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "element"
    return f"{where}: {first['msg']}"[:300]
