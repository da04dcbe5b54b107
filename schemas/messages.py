"""Every WebSocket message of docs/protocol.md §3, tagged by ``type``.

Client messages and their ops are validated on arrival; unknown keys in them
are ignored (elements are stricter: an unknown field is ``invalid``). Server
messages are built as plain dicts on the hot path; their models here are the
documented shape, exported as JSON Schema and checked against real traffic in
the tests.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from schemas.codes import ERROR_CODES
from schemas.events import EVENTS, Session, SnapshotMeta, Timer
from schemas.kinds import ID_PATTERN, KINDS, MAX_STRING

PROTOCOL_VERSION = 1
SUBPROTOCOL_MSGPACK = "tussentafel.v1.msgpack"
SUBPROTOCOL_JSON = "tussentafel.v1.json"
SUBPROTOCOLS = (SUBPROTOCOL_MSGPACK, SUBPROTOCOL_JSON)

ElementId = Annotated[str, Field(pattern=ID_PATTERN)]
MessageId = Annotated[str, Field(min_length=1, max_length=128)] | int
#: Presence coordinates: finite and on the board (a NaN could not be sent on as JSON).
Number = Annotated[float, Field(ge=-1e7, le=1e7, allow_inf_nan=False)]


#: The key under which a field names another schema file; ``schemas.jsonschema``
#: turns it into ``$ref`` (pydantic would try to resolve a ``$ref`` itself).
EXTERNAL_REF = "x-ref"


def _file(name: str, **also: Any) -> WithJsonSchema:
    return WithJsonSchema({EXTERNAL_REF: name, **also})


#: An element travels as a map the server checks by kind (``element.schema.json``).
ElementMap = Annotated[dict[str, Any], _file("element.schema.json")]
OpMap = Annotated[dict[str, Any], _file("op.schema.json")]
#: Any field of any kind (a patch's ``set`` is checked against the patched kind).
FIELD_NAMES: tuple[str, ...] = tuple(sorted(
    {"kind", "x", "y", "z", "parent", "locked", "private", "author", "v", "created", "updated"}
    | {f.name for k in KINDS.values() for f in k.fields}
))
FieldName = Literal[FIELD_NAMES]  # type: ignore[valid-type]
Role = Literal["facilitator", "participant", "viewer"]


class _In(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True)


class _Op(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


# -- ops ---------------------------------------------------------------------


class PutOp(_Op):
    op: Literal["put"]
    el: ElementMap


class PatchOp(_Op):
    op: Literal["patch"]
    id: ElementId
    set: dict[FieldName, Any] = Field(default_factory=dict)
    unset: list[FieldName] | None = None


class DelOp(_Op):
    op: Literal["del"]
    id: ElementId


class RestoreOp(_Op):
    """Bring a deleted element back as it was (same id, author, fields,
    created); others receive it as a ``put`` of the whole element."""

    op: Literal["restore"]
    id: ElementId


Op = Annotated[PutOp | PatchOp | DelOp | RestoreOp, Field(discriminator="op")]


# -- client -> server --------------------------------------------------------


class Hello(_In):
    type: Literal["hello"]
    token: Annotated[str, Field(max_length=512)]
    client: Annotated[str, Field(min_length=1, max_length=128)]
    name: Annotated[str, Field(max_length=80)] | None = None
    since: int | None = None
    #: The protocol version the client speaks (absent: 1); another is ``incompatible``.
    protocol: int | None = None


class Push(_In):
    type: Literal["push"]
    id: MessageId
    ops: Annotated[list[OpMap], Field(min_length=1, max_length=500)]


class PresenceIn(_In):
    """A delta: absent fields stay as they were; ``cursor: null`` and
    ``selection: []`` clear them."""

    type: Literal["presence"]
    cursor: Annotated[list[Number], Field(min_length=2, max_length=2)] | None = None
    viewport: Annotated[list[Number], Field(min_length=4, max_length=4)] | None = None
    selection: Annotated[list[ElementId], Field(max_length=500)] | None = None
    #: The facilitator's pointer on the projector, world [x, y]; null hides it.
    pointer: Annotated[list[Number], Field(min_length=2, max_length=2)] | None = None


class Cmd(_In):
    type: Literal["cmd"]
    id: MessageId
    name: Annotated[str, Field(max_length=64)]
    args: dict[str, Any] = Field(default_factory=dict)


class _Args(BaseModel):
    """A command's ``args``: unknown keys are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")


Label = Annotated[str, Field(max_length=200)]


class NoArgs(_Args):
    pass


class TimerArgs(_Args):
    seconds: Annotated[float, Field(gt=0, le=24 * 3600)]
    label: Label = ""


class FrameArgs(_Args):
    frame: ElementId | None = None


class PresentFrameArgs(_Args):
    frame: ElementId


class IdsArgs(_Args):
    ids: Annotated[list[str], Field(min_length=1, max_length=5000)]


class SnapshotArgs(_Args):
    label: Label | None = None


#: Every facilitator command (§5) and its ``args``; ``server/commands.py`` checks them.
COMMANDS: dict[str, type[_Args]] = {
    "timer.start": TimerArgs, "timer.stop": NoArgs, "follow.start": NoArgs,
    "follow.stop": NoArgs, "private.start": FrameArgs, "private.stop": NoArgs,
    "reveal": FrameArgs, "lock": IdsArgs, "unlock": IdsArgs, "snapshot": SnapshotArgs,
    "present.frame": PresentFrameArgs, "present.insights": NoArgs, "present.stop": NoArgs,
}


class Ping(_In):
    type: Literal["ping"]


ClientMessage = Annotated[Hello | Push | PresenceIn | Cmd | Ping, Field(discriminator="type")]


# -- server -> client --------------------------------------------------------


class _Out(BaseModel):
    """A server message: every key is documented (a new one fails the traffic test)."""

    model_config = ConfigDict(extra="forbid")


Count = Annotated[int, Field(ge=0)]
ErrorCode = Literal[ERROR_CODES]  # type: ignore[valid-type]
ParticipantId = Annotated[str, Field(min_length=1, max_length=64)]


class Participant(_Out):
    id: ParticipantId
    name: Annotated[str, Field(max_length=80)]
    color: str
    role: Role
    online: bool
    cursor: Annotated[list[Number], Field(min_length=2, max_length=2)] | None = None
    viewport: Annotated[list[Number], Field(min_length=4, max_length=4)] | None = None
    selection: Annotated[list[ElementId], Field(max_length=500)] | None = None
    pointer: Annotated[list[Number], Field(min_length=2, max_length=2)] | None = None


class Welcome(_Out):
    type: Literal["welcome"]
    protocol: Literal[1]
    board: str
    clock: Count
    role: Role
    you: ParticipantId
    full: bool
    elements: list[ElementMap]
    deleted: list[ElementId]
    participants: list[Participant]
    session: Session
    time: Count
    #: The board's language ("nl" | "en"): its template texts, export labels, dates.
    lang: Literal["nl", "en"] = "en"


class AckOk(_Out):
    type: Literal["ack"]
    id: MessageId
    ok: Literal[True]
    clock: Count
    time: Count


class AckFail(_Out):
    type: Literal["ack"]
    id: MessageId
    ok: Literal[False]
    code: ErrorCode
    message: str
    op: Count | None = None


class Patch(_Out):
    type: Literal["patch"]
    clock: Count
    by: ParticipantId
    time: Count
    ops: list[OpMap]


class PresenceOut(_Out):
    type: Literal["presence"]
    participants: list[Participant]


class Result(_Out):
    """The answer to a ``cmd``, with the command's outcome beside ``ok`` (§6)."""

    type: Literal["result"]
    id: MessageId
    ok: bool
    code: ErrorCode | None = None
    message: Annotated[str, Field(max_length=MAX_STRING)] | None = None
    timer: Timer | None = None
    follow: str | None = None
    private: bool | None = None
    frame: ElementId | None = None
    ids: list[ElementId] | None = None
    clock: Count | None = None
    snapshot: SnapshotMeta | None = None
    present: ElementId | None = None
    insights: bool | None = None


class Error(_Out):
    type: Literal["error"]
    code: ErrorCode
    message: str
    fatal: bool
    #: With ``incompatible``: the protocol version this server speaks.
    protocol: int | None = None


class Pong(_Out):
    type: Literal["pong"]
    time: Count


class Bundle(_Out):
    type: Literal["bundle"]
    messages: Annotated[list[Annotated[dict[str, Any], _file(
        "server-message.schema.json",
        # a bundle holds single messages, never another bundle
        **{"not": {"type": "object", "properties": {"type": {"const": "bundle"}}}})]],
        Field(min_length=1)]


SERVER_MESSAGES: tuple[type[BaseModel], ...] = (
    Welcome, AckOk, AckFail, Patch, PresenceOut, *EVENTS, Result, Error, Pong, Bundle,
)
CLIENT_MESSAGES: tuple[type[BaseModel], ...] = (Hello, Push, PresenceIn, Cmd, Ping)
OPS: tuple[type[BaseModel], ...] = (PutOp, PatchOp, DelOp, RestoreOp)
