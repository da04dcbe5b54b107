"""Bodies of the REST endpoints (docs/protocol.md §2), as documented shapes.

``server/web/rest.py`` checks requests itself (a wrong body is a JSON error, not
a crash); these models are exported as JSON Schema and checked against real
responses in the tests.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.codes import ERROR_CODES
from schemas.events import Count, Insights, SnapshotMeta
from schemas.messages import ElementMap

Title = Annotated[str, Field(max_length=200)]
Template = Literal["blank", "atelier"]
#: A board's language: its template texts, export labels and dates.
Lang = Literal["nl", "en"]
Token = Annotated[str, Field(min_length=1, max_length=512)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Request(BaseModel):
    """A request body: unknown keys are ignored."""


class CreateBoardRequest(_Request):
    title: Title = ""
    template: Template = "blank"
    #: Default: the request's Accept-Language (nl or en), else en.
    lang: Lang | None = None


class Tokens(_Body):
    facilitator: Token
    participant: Token
    viewer: Token


class Links(_Body):
    facilitator: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    participant: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    viewer: Annotated[str, Field(json_schema_extra={"format": "uri"})]


class CreateBoardResponse(_Body):
    board: str
    title: Title
    template: Template
    lang: Lang
    tokens: Tokens
    links: Links


class BoardInfo(_Body):
    board: str
    title: Title
    template: Template
    lang: Lang
    clock: Count
    elements: Count
    online: Count


class BoardState(_Body):
    clock: Count
    elements: list[ElementMap]


class CreateSnapshotRequest(_Request):
    label: Title | None = None


class SnapshotList(_Body):
    snapshots: list[SnapshotMeta]


class SnapshotRead(_Body):
    snapshot: SnapshotMeta
    elements: list[ElementMap]


class RestoreResponse(_Body):
    clock: Count


class RotateResponse(_Body):
    tokens: Tokens
    links: Links


class HttpError(_Body):
    error: Literal[ERROR_CODES]  # type: ignore[valid-type]
    message: str


#: file stem -> model, for ``schemas/json/http.<stem>.schema.json``.
BODIES: dict[str, type[BaseModel]] = {
    "create-board.request": CreateBoardRequest,
    "create-board.response": CreateBoardResponse,
    "board.response": BoardInfo,
    "state.response": BoardState,
    "create-snapshot.request": CreateSnapshotRequest,
    "snapshot-meta.response": SnapshotMeta,
    "snapshots.response": SnapshotList,
    "snapshot.response": SnapshotRead,
    "restore.response": RestoreResponse,
    "rotate.response": RotateResponse,
    "insights.response": Insights,
    "error.response": HttpError,
}
