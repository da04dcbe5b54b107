"""The pure core: apply, advance, revert, catch-up, privacy, replay (no server)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings

from schemas.codes import Code
from schemas.elements import check_element
from server.core.board import (
    Actor,
    BoardState,
    Change,
    Rejection,
    Unchanged,
    apply,
    lock_ops,
    replay,
    restore_ops,
    reveal_ops,
    visible_ops,
)
from tests.conftest import note, put
from tests.strategies import batches

ADA = Actor("ada", "participant")
BOB = Actor("bob", "participant")
FAC = Actor("fac", "facilitator")
VIEW = Actor("viewer", "viewer")


def commit(state: BoardState, ops: list[dict[str, Any]], actor: Actor = ADA, now: int = 1000,
           **kw: Any) -> Change:
    change = apply(state, ops, actor, now, **kw)
    assert isinstance(change, Change), change
    state.advance(change)
    return change


def test_put_is_stamped_by_the_server_and_keeps_author_on_replace() -> None:
    state = BoardState("b")
    commit(state, [put({**note("n"), "author": "forged", "v": 99})], ADA, 1000)
    assert state.elements["n"]["author"] == "ada"
    assert state.elements["n"]["v"] == 1 and state.elements["n"]["created"] == 1000
    commit(state, [put(note("n", "new text"))], BOB, 2000)
    el = state.elements["n"]
    assert (el["author"], el["created"], el["updated"], el["v"]) == ("ada", 1000, 2000, 2)
    assert el["text"] == "new text"


def test_server_adds_no_defaults() -> None:
    state = BoardState("b")
    commit(state, [put(note("n"))])
    assert set(state.elements["n"]) == {"id", "kind", "x", "y", "z", "text", "w", "h",
                                        "author", "v", "created", "updated"}


def test_a_batch_is_all_or_nothing() -> None:
    state = BoardState("b")
    commit(state, [put(note("a"))])
    before = copy.deepcopy(state)
    result = apply(state, [{"op": "patch", "id": "a", "set": {"text": "x"}}, put(note("b")),
                           {"op": "patch", "id": "missing", "set": {"x": 1}}], ADA, 2000)
    assert result == Rejection(Code.CONFLICT, "element missing does not exist", 2)
    assert state == before


def test_validation_rejects_unknown_fields_wrong_types_and_limits() -> None:
    state = BoardState("b")
    cases = [
        {**note("n"), "extra": 1},
        {**note("n"), "x": "1"},
        {**note("n"), "x": True},
        {**note("n"), "x": 1e7},
        {"id": "bad id!", "kind": "note", "x": 0, "y": 0, "z": "a", "text": "", "w": 1, "h": 1},
        {"id": "s", "kind": "stroke", "x": 0, "y": 0, "z": "a", "color": "#000", "width": 1,
         "points": [0, 1, 2]},
        {"id": "l", "kind": "lane", "x": 0, "y": 0, "z": "a", "label": "", "start": "2027-13-01",
         "end": "2027-01-01"},
        {"id": "d", "kind": "domain", "x": 0, "y": 0, "z": "a", "label": "", "r": -5},
        {"id": "n", "kind": "note", "y": 0, "z": "a", "text": "", "w": 1, "h": 1},
        {"id": "u", "kind": "unicorn", "x": 0, "y": 0, "z": "a"},
    ]
    for el in cases:
        result = apply(state, [put(el)], ADA, 1)
        assert isinstance(result, Rejection) and result.code == "invalid", el
    over_a_size_limit = [  # every size limit has one code (docs/protocol.md §3.4)
        {**note("n"), "text": "x" * 2001},
        {"id": "s", "kind": "stroke", "x": 0, "y": 0, "z": "a", "color": "#000", "width": 1,
         "points": [0] * 10_002},
    ]
    for el in over_a_size_limit:
        result = apply(state, [put(el)], ADA, 1)
        assert isinstance(result, Rejection) and result.code == "too_large", el
    ok = {"id": "s", "kind": "stroke", "x": 0, "y": 0, "z": "a", "color": "#000", "width": 1,
          "points": [0.5] * 10_000}
    assert isinstance(apply(state, [put(ok)], ADA, 1), Change)
    assert isinstance(apply(state, [put(note("n", "é" * 2000))], ADA, 1), Change)  # code points


def test_batch_and_board_limits() -> None:
    state = BoardState("b")
    result = apply(state, [put(note(f"n{i}")) for i in range(501)], ADA, 1)
    assert isinstance(result, Rejection) and result.code == "too_large"
    state.elements = {f"e{i}": {**note(f"e{i}"), "v": 1} for i in range(20_000)}
    result = apply(state, [put(note("one-more"))], ADA, 1)
    assert isinstance(result, Rejection) and result.code == "too_large"
    assert isinstance(apply(state, [put(note("e5", "replace"))], ADA, 1), Change)


def test_last_writer_wins_per_field() -> None:
    state = BoardState("b")
    commit(state, [put(note("n"))])
    commit(state, [{"op": "patch", "id": "n", "set": {"text": "ada", "x": 1}}], ADA)
    commit(state, [{"op": "patch", "id": "n", "set": {"color": "#f00", "x": 2}}], BOB)
    el = state.elements["n"]
    assert (el["text"], el["color"], el["x"]) == ("ada", "#f00", 2)


def test_delete_beats_later_patch_and_put() -> None:
    state = BoardState("b")
    commit(state, [put(note("n"))])
    commit(state, [{"op": "del", "id": "n"}])
    for ops in ([{"op": "patch", "id": "n", "set": {"x": 1}}], [put(note("n"))],
                [{"op": "del", "id": "n"}]):
        result = apply(state, ops, BOB, 1)
        assert isinstance(result, Rejection) and result.code == "conflict"
    assert state.tombstones["n"][0] == 2


def test_roles_locks_and_votes() -> None:
    state = BoardState("b")
    assert apply(state, [put(note("v"))], VIEW, 1).code == "forbidden"  # type: ignore[union-attr]
    assert apply(state, [put(note("l", locked=True))], ADA, 1).code == "forbidden"  # type: ignore[union-attr]
    commit(state, [put(note("l", locked=True))], FAC)
    for ops in ([{"op": "patch", "id": "l", "set": {"x": 1}}], [{"op": "del", "id": "l"}],
                [put(note("l"))], [{"op": "patch", "id": "l", "set": {}, "unset": ["locked"]}]):
        result = apply(state, ops, ADA, 1)
        assert isinstance(result, Rejection) and result.code == "forbidden", ops
    commit(state, [{"op": "patch", "id": "l", "set": {"x": 5}}], FAC)
    vote = {"id": "g", "kind": "grade_vote", "x": 0, "y": 0, "z": "a", "scale": "s",
            "grade": "aligned", "aspect": "current"}
    commit(state, [put(vote)], ADA)
    assert state.elements["g"]["author"] == "ada"
    assert apply(state, [{"op": "patch", "id": "g", "set": {"grade": "integrated"}}],
                 BOB, 1).code == "forbidden"  # type: ignore[union-attr]
    assert apply(state, [{"op": "del", "id": "g"}], BOB, 1).code == "forbidden"  # type: ignore[union-attr]
    commit(state, [{"op": "patch", "id": "g", "set": {"grade": "integrated"}}], ADA)
    commit(state, [{"op": "del", "id": "g"}], FAC)


def test_patch_cannot_change_id_kind_or_stamps() -> None:
    state = BoardState("b")
    commit(state, [put(note("n"))])
    for field in ("id", "kind", "author", "v", "created", "updated"):
        result = apply(state, [{"op": "patch", "id": "n", "set": {field: "x"}}], ADA, 1)
        assert isinstance(result, Rejection) and result.code == "invalid"
        result = apply(state, [{"op": "patch", "id": "n", "unset": [field]}], ADA, 1)
        assert isinstance(result, Rejection) and result.code == "invalid"
    change = commit(state, [{"op": "patch", "id": "n", "set": {"x": 3}}], BOB)
    assert state.elements["n"]["author"] == "ada"
    assert change.ops == [{"op": "patch", "id": "n", "set": {"x": 3}}]


def test_revert_undoes_exactly() -> None:
    state = BoardState("b")
    commit(state, [put(note("a")), put(note("b"))])
    commit(state, [{"op": "del", "id": "b"}])
    before = copy.deepcopy(state)
    change = commit(state, [{"op": "patch", "id": "a", "set": {"x": 9}}, put(note("c")),
                            {"op": "del", "id": "a"}])
    state.revert(change)
    assert state == before
    restore = commit(state, restore_ops(state, [state.elements["a"], {**note("b"), "v": 1}]),
                     FAC, restore=True)
    assert "b" in state.elements and "b" not in state.tombstones
    state.revert(restore)
    assert state == before


def test_changes_since_and_compaction() -> None:
    state = BoardState("b")
    commit(state, [put(note("a")), put(note("b"))], now=1000)
    commit(state, [{"op": "patch", "id": "a", "set": {"x": 1}}], now=2000)
    commit(state, [{"op": "del", "id": "b"}], now=3000)
    changed, deleted = state.changes_since(1)  # type: ignore[misc]
    assert [el["id"] for el in changed] == ["a"] and deleted == ["b"]
    assert state.changes_since(4) is None and state.changes_since(-1) is None
    assert state.changes_since(3) == ([], [])
    assert state.compact(now=10_000_000, max_age_ms=1000, max_clocks=100) == 1
    assert state.floor == 3 and state.changes_since(1) is None
    assert state.changes_since(3) == ([], [])
    assert isinstance(apply(state, [put(note("b"))], ADA, 1), Change)  # the id is free again


def test_private_elements_are_filtered_per_viewer() -> None:
    state = BoardState("b")
    change = commit(state, [put(note("secret", private=True)), put(note("open"))], ADA)
    assert visible_ops(change, BOB) == [change.ops[1]]
    assert visible_ops(change, FAC) == change.ops
    assert visible_ops(change, Actor("ada", "participant")) == change.ops
    reveal = commit(state, reveal_ops(state), FAC)
    assert visible_ops(reveal, BOB) == [{"op": "put", "el": state.elements["secret"]}]
    assert state.elements["secret"]["private"] is False


def test_private_mode_requires_private_notes_in_scope() -> None:
    state = BoardState("b")
    result = apply(state, [put(note("n", parent="f1"))], ADA, 1, private_scope="f1")
    assert isinstance(result, Rejection) and result.code == "forbidden"
    assert isinstance(apply(state, [put(note("n", parent="f2"))], ADA, 1, private_scope="f1"),
                      Change)
    assert isinstance(apply(state, [put(note("n", private=True))], ADA, 1, private_scope=""),
                      Change)
    assert isinstance(apply(state, [put(note("n"))], FAC, 1, private_scope=""), Change)


def test_lock_ops_only_touch_what_changes() -> None:
    state = BoardState("b")
    commit(state, [put(note("a")), put(note("b", locked=True))], FAC)
    assert lock_ops(state, ["a", "b", "missing"], locked=True) == [
        {"op": "patch", "id": "a", "set": {"locked": True}}]
    assert lock_ops(state, ["b"], locked=False) == [
        {"op": "patch", "id": "b", "set": {}, "unset": ["locked"]}]


@settings(max_examples=150, deadline=None)
@given(batches)
def test_random_batches_keep_the_board_valid_and_replayable(
        batch_list: list[tuple[Actor, list[dict[str, Any]]]]) -> None:
    state = BoardState("b")
    log = []
    for now, (actor, ops) in enumerate(batch_list, start=1):
        before = copy.deepcopy(state)
        result = apply(state, ops, actor, now)
        if isinstance(result, Rejection | Unchanged):
            assert state == before  # nothing half-applied; a no-op takes no clock
            continue
        state.advance(result)
        log.append(copy.deepcopy(result.log_record()))
        assert state.clock == len(log)
    for el in state.elements.values():
        check_element(el)
        assert el["v"] <= state.clock
    replayed = replay("b", log)
    assert replayed.elements == state.elements
    assert replayed.tombstones == state.tombstones
    assert replayed.clock == state.clock
