"""Every WebSocket message of docs/protocol.md §3, tagged by ``type``.

Client messages are validated on arrival (unknown keys ignored). Server
messages are built as plain dicts on the hot path; their models here are the
documented shape, exported as JSON Schema and checked against real traffic in
the tests.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.elements import ID_PATTERN, MAX_STRING

PROTOCOL_VERSION = 1
SUBPROTOCOL_MSGPACK = "tussentafel.v1.msgpack"
SUBPROTOCOL_JSON = "tussentafel.v1.json"
SUBPROTOCOLS = (SUBPROTOCOL_MSGPACK, SUBPROTOCOL_JSON)

ElementId = Annotated[str, Field(pattern=ID_PATTERN)]
MessageId = Annotated[str, Field(min_length=1, max_length=128)] | int
#: Presence coordinates: finite and on the board (a NaN could not be sent on as JSON).
Number = Annotated[float, Field(ge=-1e7, le=1e7, allow_inf_nan=False)]


class _In(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True)


class _Op(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


# -- ops ---------------------------------------------------------------------


class PutOp(_Op):
    op: Literal["put"]
    el: dict[str, Any]


class PatchOp(_Op):
    op: Literal["patch"]
    id: ElementId
    set: dict[str, Any] = Field(default_factory=dict)
    unset: list[str] | None = None


class DelOp(_Op):
    op: Literal["del"]
    id: ElementId


Op = Annotated[PutOp | PatchOp | DelOp, Field(discriminator="op")]


# -- client -> server --------------------------------------------------------


class Hello(_In):
    type: Literal["hello"]
    token: Annotated[str, Field(max_length=512)]
    client: Annotated[str, Field(min_length=1, max_length=128)]
    name: Annotated[str, Field(max_length=80)] | None = None
    since: int | None = None


class Push(_In):
    type: Literal["push"]
    id: MessageId
    ops: list[dict[str, Any]]


class PresenceIn(_In):
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


class Ping(_In):
    type: Literal["ping"]


ClientMessage = Annotated[Hello | Push | PresenceIn | Cmd | Ping, Field(discriminator="type")]


# -- server -> client --------------------------------------------------------


class Session(BaseModel):
    timer: dict[str, Any] | None = None
    follow: str | None = None
    private: bool = False
    private_frame: str | None = None
    present: str | None = None
    present_insights: bool = False


class Participant(BaseModel):
    id: str
    name: str
    color: str
    role: Literal["facilitator", "participant", "viewer"]
    online: bool
    cursor: list[Number] | None = None
    viewport: list[Number] | None = None
    selection: list[str] | None = None
    pointer: list[Number] | None = None


class Welcome(BaseModel):
    type: Literal["welcome"]
    board: str
    clock: int
    role: Literal["facilitator", "participant", "viewer"]
    you: str
    full: bool
    elements: list[dict[str, Any]]
    deleted: list[str]
    participants: list[Participant]
    session: Session
    time: int
    protocol: int = PROTOCOL_VERSION


class AckOk(BaseModel):
    type: Literal["ack"]
    id: MessageId
    ok: Literal[True]
    clock: int
    time: int


class AckFail(BaseModel):
    type: Literal["ack"]
    id: MessageId
    ok: Literal[False]
    code: str
    message: str
    op: int | None = None


class Patch(BaseModel):
    type: Literal["patch"]
    clock: int
    by: str
    time: int
    ops: list[dict[str, Any]]


class PresenceOut(BaseModel):
    type: Literal["presence"]
    participants: list[Participant]


class Event(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["event"]
    name: str


class Result(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["result"]
    id: MessageId
    ok: bool
    code: str | None = None
    message: Annotated[str, Field(max_length=MAX_STRING)] | None = None


class Error(BaseModel):
    type: Literal["error"]
    code: str
    message: str
    fatal: bool


class Pong(BaseModel):
    type: Literal["pong"]
    time: int


class Bundle(BaseModel):
    type: Literal["bundle"]
    messages: list[dict[str, Any]]


SERVER_MESSAGES: tuple[type[BaseModel], ...] = (
    Welcome, AckOk, AckFail, Patch, PresenceOut, Event, Result, Error, Pong, Bundle,
)
CLIENT_MESSAGES: tuple[type[BaseModel], ...] = (Hello, Push, PresenceIn, Cmd, Ping)
OPS: tuple[type[BaseModel], ...] = (PutOp, PatchOp, DelOp)
