"""The one registry of element kinds (pure data; docs/protocol.md §4).

Every kind is declared here once: its fields (with their type, enumeration
and whether they are required), its geometry (what ``x``/``y`` mean, fixed
and default sizes, which element places it), its main text field and the
insights it feeds. Everything else reads this table:

- ``schemas/elements.py`` builds the pydantic model of each kind from it;
- ``schemas/jsonschema.py`` builds the JSON Schema files (with the geometry
  in each kind's ``description``);
- ``schemas/export.py`` writes ``canvas_client/web/kinds.js`` and
  ``kinds.d.ts`` and the kinds table of ``docs/protocol.md``;
- the SVG export (``server/report/render_shapes.py``, ``render.py``), the insights
  and the browser (through ``kinds.js``) take sizes and enumerations from it.

Adding a kind: one ``Kind`` entry below, one draw function on each side
(``server/report/render_shapes.py`` and ``canvas_client/web/render.js``), tests,
then ``tussentafel schemas export``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
#: What a date field must look like before it is checked as a calendar date.
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MAX_STRING = 2_000
MAX_TAG = 64  # ``z`` and ``author``
MAX_COORD = 1e6
MAX_POINTS = 10_000
MAX_DATE = 32

#: Every enumeration of element fields, by the field's name (order matters:
#: ``grade`` runs from low to high, Kuitert & Van Buuren).
ENUMS: dict[str, tuple[str, ...]] = {
    "node": ("person", "team", "manager", "table"),
    "rel": ("member_of", "reports_to", "decides", "escalates_to", "involves"),
    "grade": ("fragmented", "aligned", "coordinated", "integrated"),
    "aspect": ("current", "ambition"),
    "role": (
        "process_facilitator", "chair", "process_manager", "content_representative",
        "pen_holder", "expert", "communication", "external_facilitator", "connector", "custom",
    ),
    "acquired": ("achieved", "acquired", "assigned", "granted"),
    "topic": (
        "why_here", "collective_task", "value", "do", "dont", "decision_rule", "conflict_rule",
        "other",
    ),
    "milestone": ("deadline", "decision", "delivery", "ritual"),
    "exercise": ("task", "time", "territory", "role"),
    "value": ("agree", "disagree", "plus"),
}
PROCESS_ROLES: tuple[str, ...] = (
    "chair", "process_facilitator", "process_manager", "external_facilitator",
)
CONTENT_ROLES: tuple[str, ...] = ("content_representative", "expert")

FieldType = Literal["text", "id", "size", "date", "points", "enum"]
Anchor = Literal["centre", "top_left", "placed", "between", "points"]
Insight = Literal["territory", "grades", "roles", "time"]


@dataclass(frozen=True)
class Field:
    """One field of a kind. ``enum`` fields take their values from ``ENUMS[name]``."""

    name: str
    type: FieldType
    required: bool = True

    @property
    def values(self) -> tuple[str, ...]:
        return ENUMS[self.name] if self.type == "enum" else ()


@dataclass(frozen=True)
class Geometry:
    """Where an element is and how big, in board units (1 unit = 1 px at zoom 1).

    ``anchor``: ``centre`` (x/y is the centre of a circle of radius ``r``),
    ``top_left`` (x/y is the top-left corner), ``placed`` (drawn where the
    element named by ``placed_by`` says; x/y is only a fallback), ``between``
    (drawn between two elements; x/y unused), ``points`` (drawn through its
    own absolute ``points``; x/y is their top-left at creation).
    """

    anchor: Anchor
    text: str
    size: tuple[float, float] | None = None  # fixed w, h (no w/h fields)
    new: dict[str, float] = field(default_factory=dict)  # defaults of a new element
    params: dict[str, float] = field(default_factory=dict)  # kind-specific measures
    placed_by: str | None = None
    layer: int = 2  # drawing order: 0 frames, 1 lanes and circles, 2 the rest


@dataclass(frozen=True)
class Kind:
    name: str
    title: str  # English; pages translate through their own catalogues
    exercise: str
    fields: tuple[Field, ...]
    geometry: Geometry
    main: str | None = None  # the text edited in place
    insights: tuple[Insight, ...] = ()


def _f(name: str, kind: FieldType = "text", *, required: bool = True) -> Field:
    return Field(name, kind, required)


def _o(name: str, kind: FieldType = "text") -> Field:
    return Field(name, kind, False)


LANE = {"h": 80.0, "px_per_day": 6.0, "min_w": 240.0, "max_w": 20_000.0, "axis_y": 46.0}

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("table", "Table circle", "territory: the joint table circle",
         (_f("label"), _f("r", "size")),
         Geometry("centre", "x/y is the centre of a circle of radius r", layer=1),
         main="label", insights=("territory",)),
    Kind("domain", "Knowledge domain", "territory: knowledge domain circle",
         (_f("label"), _f("r", "size"), _o("owner"), _o("home"), _o("color")),
         Geometry("centre", "x/y is the centre of a circle of radius r", layer=1),
         main="label", insights=("territory",)),
    Kind("territory", "Territory node", "territory: formal territory node",
         (_f("label"), _f("node", "enum"), _o("owner")),
         Geometry("top_left", "x/y is the top-left corner of a card",
                  size=(140.0, 48.0)),
         main="label"),
    Kind("link", "Line", "territory lines",
         (_f("from", "id"), _f("to", "id"), _f("rel", "enum"), _o("label")),
         Geometry("between", "drawn between the borders of `from` and `to`; x/y is unused"),
         main="label"),
    Kind("grade_scale", "Integration-grade scale", "the integration-grade scale",
         (_f("label"), _o("question")),
         Geometry("top_left", "x/y is the top-left corner of a scale: four grade columns, "
                  "a row for `current` and one for `ambition`",
                  size=(640.0, 120.0), params={"current_y": 82.0, "ambition_y": 104.0}),
         main="label", insights=("grades",)),
    Kind("grade_vote", "Grade marker", "a marker on the scale; voter = author",
         (_f("scale", "id"), _f("grade", "enum"), _f("aspect", "enum"), _o("note")),
         Geometry("placed", "placed by grade and aspect on its `scale` (the grade's column, "
                  "the aspect's row), not by x/y; x/y is a fallback without a scale",
                  placed_by="scale"),
         main="note", insights=("grades",)),
    Kind("role_card", "Role card", "roles",
         (_f("role", "enum"), _o("title"), _o("holder"), _o("table"), _o("acquired", "enum")),
         Geometry("top_left", "x/y is the top-left corner of a card",
                  size=(180.0, 110.0)),
         main="holder", insights=("roles",)),
    Kind("note", "Note", "task, conduct",
         (_f("text"), _o("topic", "enum"), _o("color"), _f("w", "size"), _f("h", "size")),
         Geometry("top_left", "x/y is the top-left corner of a w by h sticky note",
                  new={"w": 200.0, "h": 140.0}),
         main="text"),
    Kind("lane", "Lane", "time: one trajectory",
         (_f("label"), _f("start", "date"), _f("end", "date")),
         Geometry("top_left", "x/y is the top-left corner; 80 high and 6 px per day from "
                  "`start` to `end` wide (240 to 20 000): lanes share one time axis",
                  params=LANE, layer=1),
         main="label", insights=("time",)),
    Kind("milestone", "Milestone", "time",
         (_f("lane", "id"), _f("date", "date"), _f("label"), _f("milestone", "enum")),
         Geometry("placed", "placed on its `lane` at its `date` (6 px per day from the lane's "
                  "start, on the lane's axis 46 below its top), not by x/y; x/y is a fallback "
                  "without a lane, drawn marked 'not on a lane' (0,0 with a frame as `parent`: "
                  "along that frame's bottom)", placed_by="lane"),
         main="label", insights=("time",)),
    Kind("ritual", "Ritual", "time exercise",
         (_f("moment"), _f("focus"), _f("symbol"), _o("when")),
         Geometry("top_left", "x/y is the top-left corner of a card",
                  size=(260.0, 140.0)),
         main="moment"),
    Kind("stroke", "Drawing", "free drawing",
         (_f("points", "points"), _f("color"), _f("width", "size")),
         Geometry("points", "drawn through its absolute `points`; x/y is their top-left "
                  "corner when drawn")),
    Kind("text", "Text", "free text",
         (_f("text"), _o("size", "size")),
         Geometry("top_left", "x/y is the top-left corner; lines of `size` (default 16) "
                  "units, 1.3 apart", new={"size": 20.0}, params={"size": 16.0}),
         main="text"),
    Kind("frame", "Frame", "an exercise area",
         (_f("label"), _f("w", "size"), _f("h", "size"), _o("exercise", "enum")),
         Geometry("top_left", "x/y is the top-left corner of a w by h area; elements made inside "
                  "name it as `parent`", params={"min_w": 80.0, "min_h": 60.0}, layer=0),
         main="label"),
    Kind("vote", "Vote", "agreement on a note",
         (_f("target", "id"), _f("value", "enum")),
         Geometry("placed", "a badge on the top-right of its `target`, not placed by x/y; "
                  "x/y is a fallback without a target", placed_by="target")),
)}

#: Fixed sizes of the kinds that carry no ``w``/``h``.
SIZES: dict[str, tuple[float, float]] = {
    k.name: k.geometry.size for k in KINDS.values() if k.geometry.size is not None
}
#: Kinds drawn where another element says: kind -> the field naming that element.
PLACED: dict[str, str] = {
    k.name: k.geometry.placed_by for k in KINDS.values() if k.geometry.placed_by
}
CIRCLES: tuple[str, ...] = tuple(k.name for k in KINDS.values() if k.geometry.anchor == "centre")
LAYERS: dict[str, int] = {k.name: k.geometry.layer for k in KINDS.values() if k.geometry.layer != 2}
MAIN_FIELD: dict[str, str] = {k.name: k.main for k in KINDS.values() if k.main}
#: Kinds whose change may change the insights.
INSIGHT_KINDS: frozenset[str] = frozenset(k.name for k in KINDS.values() if k.insights)
#: How text is measured where it is wrapped and fitted into shapes, the same on the
#: live board and in the SVG export: average glyph width in em (DejaVu Sans measures
#: ~0.50, bold ~0.57; a little more leaves room), line height in em, and the smallest
#: font size a label may shrink to before it is cut.
TEXT: dict[str, float] = {"char_w": 0.54, "bold_w": 0.62, "line_h": 1.3, "min_size": 9.0}
GRADES = ENUMS["grade"]
ASPECTS = ENUMS["aspect"]
