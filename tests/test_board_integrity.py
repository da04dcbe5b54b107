"""The pure core's integrity parts: graves and restore, remembered pushes,
catch-up without other people's private ids, private-round scope and count."""

from __future__ import annotations

from server.core.board import (
    BoardState,
    Change,
    Rejection,
    Unchanged,
    apply,
    change_from_record,
    deleted_entries,
    in_scope,
    private_count,
    push_key,
    replay,
)
from tests.conftest import note, put
from tests.test_board import ADA, BOB, FAC, commit


def test_restore_brings_back_the_last_content_and_revert_undoes_it() -> None:
    state = BoardState("b")
    commit(state, [put(note("n", "first"))], ADA, 1000)
    commit(state, [{"op": "patch", "id": "n", "set": {"text": "last"}}], ADA, 1001)
    commit(state, [{"op": "del", "id": "n"}], BOB, 1002)
    assert state.graves["n"][0] == "bob" and state.graves["n"][1]["text"] == "last"
    change = commit(state, [{"op": "restore", "id": "n"}], BOB, 1003)
    assert change.ops == [{"op": "put", "el": state.elements["n"]}]
    assert state.elements["n"]["author"] == "ada" and state.elements["n"]["created"] == 1000
    assert (state.elements["n"]["v"], state.elements["n"]["updated"]) == (4, 1003)
    assert "n" not in state.graves and "n" not in state.tombstones
    state.revert(change)
    assert "n" not in state.elements and state.graves["n"][0] == "bob"
    assert state.tombstones["n"] == (3, 1002)


def test_delete_and_restore_in_one_batch_and_replay_keeps_graves() -> None:
    state = BoardState("b")
    commit(state, [put(note("n"))], ADA)
    same = apply(state, [{"op": "del", "id": "n"}, {"op": "restore", "id": "n"}], BOB, 2)
    assert isinstance(same, Unchanged)  # it changes nothing, so it takes no clock
    assert state.elements["n"]["author"] == "ada"
    commit(state, [{"op": "del", "id": "n"}], FAC)
    log = [
        {"clock": 1, "time": 1000, "by": "ada", "ops": [put({**note("n"), "author": "ada",
                                                              "v": 1, "created": 1000,
                                                              "updated": 1000})]},
        {"clock": 2, "time": 1000, "by": "fac", "ops": [{"op": "del", "id": "n"}],
         "push": "fac\x1fs1"},
    ]
    again = replay("b", log)
    assert again.graves["n"][0] == "fac" and again.pushes == {"fac\x1fs1": (2, 1000)}


def test_who_may_restore() -> None:
    state = BoardState("b")
    commit(state, [put(note("n"))], ADA)
    commit(state, [{"op": "del", "id": "n"}], BOB)
    cas = type(ADA)("cas", "participant")
    refused = apply(state, [{"op": "restore", "id": "n"}], cas, 1)
    assert isinstance(refused, Rejection) and refused.code == "forbidden"
    for actor in (ADA, BOB, FAC):
        assert not isinstance(apply(state, [{"op": "restore", "id": "n"}], actor, 1), Rejection)
    for eid in ("never", "bad id!"):
        result = apply(state, [{"op": "restore", "id": eid}], FAC, 1)
        assert isinstance(result, Rejection) and result.code in ("conflict", "invalid")


def test_pushes_are_remembered_by_advance_and_forgotten_by_revert() -> None:
    state = BoardState("b")
    change = apply(state, [put(note("n"))], ADA, 5)
    assert isinstance(change, Change)
    change.push = push_key("ada", 1)
    state.advance(change)
    assert state.pushes == {push_key("ada", 1): (1, 5)}
    assert push_key("ada", 1) != push_key("ada", "1") != push_key("bob", 1)
    assert change.log_record()["push"] == push_key("ada", 1)
    assert change_from_record(BoardState("b"), change.log_record()).push == change.push
    state.revert(change)
    assert state.pushes == {}


def test_catch_up_names_only_what_the_viewer_may_have_seen() -> None:
    state = BoardState("b")
    commit(state, [put(note("pub")), put(note("turns"))], ADA)
    since = state.clock
    commit(state, [put(note("mine", private=True)), put(note("gone", private=True))], ADA)
    commit(state, [{"op": "del", "id": "gone"}, {"op": "del", "id": "pub"}], ADA)
    commit(state, [{"op": "patch", "id": "turns", "set": {"private": True}}], ADA)
    found = state.catch_up(since, BOB)
    assert found is not None and found[0] == [] and sorted(found[1]) == ["pub", "turns"]
    own = state.catch_up(since, ADA)
    assert own is not None and {el["id"] for el in own[0]} == {"mine", "turns"}
    state.hidden_floor = state.clock  # as if loaded after a restart: cannot tell
    assert state.catch_up(since, BOB) is None


def test_scope_is_the_frame_by_position_or_child() -> None:
    frame = {"id": "f", "kind": "frame", "x": 100, "y": 100, "w": 50, "h": 50}
    get = {"f": frame}.get
    assert in_scope(get, {"x": 0, "y": 0}, "")
    assert in_scope(get, {"x": 120, "y": 150}, "f")
    assert in_scope(get, {"x": 0, "y": 0, "parent": "f"}, "f")
    assert not in_scope(get, {"x": 151, "y": 120}, "f")
    assert not in_scope(get, {"x": 120, "y": 120}, "missing")


def test_private_count_and_the_bin() -> None:
    state = BoardState("b")
    commit(state, [put(note("a", private=True)), put(note("b")), put(note("c", private=True,
                                                                           x=900))], ADA)
    commit(state, [put({"id": "f", "kind": "frame", "x": 0, "y": 0, "z": "f", "label": "F",
                        "w": 100, "h": 100})], FAC)
    assert private_count(state, None) == 0
    assert private_count(state, "") == 2 and private_count(state, "f") == 1
    commit(state, [{"op": "del", "id": "b"}], BOB, 2000)
    commit(state, [{"op": "del", "id": "f"}], FAC, 3000)
    assert deleted_entries(state, 10) == [
        {"id": "f", "kind": "frame", "text": "F", "author": "fac", "deleted_by": "fac",
         "deleted_at": 3000, "clock": 4},
        {"id": "b", "kind": "note", "text": "hello", "author": "ada", "deleted_by": "bob",
         "deleted_at": 2000, "clock": 3},
    ]
    assert [e["id"] for e in deleted_entries(state, 1)] == ["f"]
