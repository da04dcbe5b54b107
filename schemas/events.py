"""Payloads the server sends inside messages: events (docs/protocol.md §6),
session state, snapshot metadata and the insights.

These models document shapes (exported as JSON Schema and checked against
real traffic in the tests); the server builds the dicts itself.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from schemas.kinds import ENUMS, ID_PATTERN

ElementId = Annotated[str, Field(pattern=ID_PATTERN)]
Count = Annotated[int, Field(ge=0)]
Label = Annotated[str, Field(max_length=200)]
GradeName = Literal["fragmented", "aligned", "coordinated", "integrated"]
assert get_args(GradeName) == ENUMS["grade"]


class Shape(BaseModel):
    """A server-made map: every key is documented, none may be added unnoticed."""

    model_config = ConfigDict(extra="forbid")


class Timer(Shape):
    label: Label
    ends: Count


class SnapshotMeta(Shape):
    snapshot: Annotated[str, Field(pattern=r"^[^.]{1,128}$")]
    label: Label
    clock: Count
    created_at: Count
    elements: Count


class Territory(Shape):
    overlaps: list[Annotated[list[ElementId], Field(min_length=2, max_length=2)]]
    outside: list[ElementId]
    without_domain: list[str]


class GradeCounts(Shape):
    fragmented: Count
    aligned: Count
    coordinated: Count
    integrated: Count


class Spread(Shape):
    current: Annotated[int, Field(ge=0, le=3)]
    ambition: Annotated[int, Field(ge=0, le=3)]


class Grades(Shape):
    current: GradeCounts
    ambition: GradeCounts
    spread: Spread


class RoleRule(Shape):
    rule: Literal["process_and_content", "no_pen_holder", "no_process_role", "double_position"]
    holder: str
    table: str
    cards: list[ElementId]


class NearMilestones(Shape):
    milestones: Annotated[list[ElementId], Field(min_length=2, max_length=2)]
    days: Annotated[int, Field(ge=0, le=7)]


class Insights(Shape):
    """``GET /api/boards/{id}/insights`` (§5). The work is bounded: when a list
    may be incomplete, ``truncated`` is true (absent otherwise)."""

    territory: Territory
    grades: dict[str, Grades]
    roles: list[RoleRule]
    time: list[NearMilestones]
    truncated: Literal[True] | None = None


class InsightCounts(Shape):
    """The full length of each list the ``insights`` event cuts."""

    overlaps: Count
    outside: Count
    without_domain: Count
    roles: Count
    time: Count


class InsightsSummary(Shape):
    """The ``insights`` event's payload: each list cut to its first 50, with
    the full lengths in ``counts``; the whole answer stays on REST."""

    territory: Territory
    grades: dict[str, Grades]
    roles: list[RoleRule]
    time: list[NearMilestones]
    counts: InsightCounts
    truncated: bool


class Session(Shape):
    timer: Timer | None
    follow: str | None
    private: bool
    private_frame: ElementId | None
    #: private notes, texts and grade markers written in the round's scope (0 if none runs)
    private_count: Count
    present: ElementId | None
    present_insights: bool


class _Event(Shape):
    type: Literal["event"]


class TimerEvent(_Event):
    name: Literal["timer"]
    timer: Timer | None


class FollowEvent(_Event):
    name: Literal["follow"]
    follow: str | None


class PrivateEvent(_Event):
    name: Literal["private"]
    private: bool
    frame: ElementId | None
    count: Count


class PrivateCountEvent(_Event):
    """How many private items the round has (sent at most twice a second)."""

    name: Literal["private_count"]
    count: Count


class RevealEvent(_Event):
    name: Literal["reveal"]
    ids: list[ElementId]
    frame: ElementId | None
    clock: Count


class LockEvent(_Event):
    name: Literal["lock"]
    locked: bool
    ids: list[ElementId]
    clock: Count


class SnapshotEvent(_Event):
    name: Literal["snapshot"]
    snapshot: SnapshotMeta


class PresentEvent(_Event):
    """What the projector shows: a frame, the insights, or (both off) the board."""

    name: Literal["present"]
    present: ElementId | None
    insights: bool


class InsightsEvent(_Event):
    name: Literal["insights"]
    insights: InsightsSummary


EVENTS: tuple[type[_Event], ...] = (
    TimerEvent, FollowEvent, PrivateEvent, PrivateCountEvent, RevealEvent, LockEvent,
    SnapshotEvent, InsightsEvent, PresentEvent,
)
