"""server/report/atelier.py and server/report/diff.py: the report and diffs, without a server."""

from __future__ import annotations

from typing import Any

from server.report.atelier import agreements, missing_domains, report
from server.report.diff import diff, short_text


def el(eid: str, kind: str = "note", **fields: Any) -> dict[str, Any]:
    return {"id": eid, "kind": kind, "x": 0, "y": 0, "z": "a0", "author": "p1", "v": 1,
            "created": 1, "updated": 1, **fields}


def vote(eid: str, voter: str, aspect: str, grade: str, updated: int = 1) -> dict[str, Any]:
    return el(eid, "grade_vote", scale="s", aspect=aspect, grade=grade, author=voter,
              updated=updated)


def test_diff_names_added_removed_and_changed_fields() -> None:
    before = [el("a", text="one"), el("b", kind="domain", label="Sport", r=50), el("c", text="x")]
    after = [el("a", text="one, edited", v=5, updated=9, locked=True), el("c", text="x", v=7),
             el("d", text="new " * 60, author="p2")]
    out = diff(before, after)
    assert [(a["id"], a["kind"], a["author"]) for a in out["added"]] == [("d", "note", "p2")]
    assert len(out["added"][0]["text"]) == 120 and out["added"][0]["text"].endswith("…")
    assert out["removed"] == [{"id": "b", "kind": "domain", "author": "p1", "text": "Sport"}]
    # stamps alone (c: only v changed) are no change; an added field shows as None before
    assert out["changed"] == [{"id": "a", "kind": "note", "author": "p1", "text": "one, edited",
                               "fields": {"locked": [None, True], "text": ["one", "one, edited"]}}]
    assert out["grades"] == []


def test_diff_of_equal_boards_is_empty() -> None:
    board = [el("a"), vote("g", "p1", "current", "aligned")]
    assert diff(board, [dict(e) for e in board]) == {
        "added": [], "removed": [], "changed": [], "grades": []}


def test_grade_markers_moved_placed_and_taken_away() -> None:
    before = [vote("g1", "p1", "current", "fragmented"), vote("g2", "p1", "ambition", "aligned"),
              vote("g3", "p2", "current", "aligned")]
    after = [vote("g1", "p1", "current", "coordinated"), vote("g2", "p1", "ambition", "aligned"),
             vote("g4", "p3", "ambition", "integrated")]
    assert diff(before, after)["grades"] == [
        {"scale": "s", "voter": "p1", "kind": "now", "from": "fragmented", "to": "coordinated"},
        {"scale": "s", "voter": "p2", "kind": "now", "from": "aligned", "to": None},
        {"scale": "s", "voter": "p3", "kind": "ambition", "from": None, "to": "integrated"},
    ]


def test_a_voters_newest_marker_counts() -> None:
    before = [vote("g1", "p1", "current", "aligned", updated=1)]
    after = [vote("g1", "p1", "current", "aligned", updated=1),
             vote("g2", "p1", "current", "integrated", updated=5)]
    assert [(g["from"], g["to"]) for g in diff(before, after)["grades"]] == [
        ("aligned", "integrated")]


def test_diff_skips_what_is_not_an_element() -> None:
    out = diff([None, {"id": 3}, el("a")], ["x", el("a"), {"kind": "note"}])
    assert out == {"added": [], "removed": [], "changed": [], "grades": []}


def test_agreements_are_locked_notes_and_texts_by_topic() -> None:
    els = [el("n1", text="Write first", topic="do", locked=True, y=10),
           el("n2", text="Our task", topic="collective_task", locked=True, y=99),
           el("n3", text="not agreed", topic="do"),
           el("t1", kind="text", text="House rule", locked=True, y=5),
           el("d1", kind="domain", label="Sport", r=10, locked=True)]
    assert [(a["id"], a["topic"]) for a in agreements(els)] == [
        ("n2", "collective_task"), ("n1", "do"), ("t1", "")]


def test_missing_domains_have_no_owner() -> None:
    els = [el("d1", kind="domain", owner="Anna"), el("d2", kind="domain", owner="  "),
           el("d3", kind="domain")]
    assert missing_domains(els) == ["d2", "d3"]
    assert short_text(el("r", kind="role_card", role="chair")) == "chair"


def test_report_orders_snapshots_and_diffs_consecutive_ones() -> None:
    board = {"board": "b", "title": "T", "template": "atelier", "created": 0}
    people = [{"id": "p1", "name": "Anna", "color": "#123456", "role": "participant"},
              {"id": "v", "name": "Screen", "color": "#000", "role": "viewer"}]
    s1 = ({"snapshot": "s1", "label": "one", "clock": 3, "created_at": 86_400_000},
          [el("why1", text="first", topic="why_here"), el("d", kind="domain", owner="", r=5)])
    s2 = ({"snapshot": "s2", "label": "two", "clock": 9, "created_at": 2 * 86_400_000},
          [el("why1", text="first", topic="why_here"), el("why2", text="again", topic="why_here",
                                                         locked=True)])
    out = report(board, people, [s2, s1])
    assert [s["label"] for s in out["snapshots"]] == ["one", "two"]
    assert out["dates"] == ["1970-01-02", "1970-01-03"]
    assert [p["name"] for p in out["participants"]] == ["Anna"]
    first, second = out["snapshots"]
    assert first["changes"] is None and first["insights"]["missing"] == ["d"]
    assert first["insights"]["territory"]["without_domain"] == ["Anna"]
    assert [a["id"] for a in second["changes"]["added"]] == ["why2"]
    assert [r["id"] for r in second["changes"]["removed"]] == ["d"]
    assert [a["text"] for a in out["agreements"]] == ["again"]
    assert out["topics"] == [{"topic": "why_here", "rounds": [
        {"snapshot": "s1", "label": "one", "notes": [
            {"id": "why1", "kind": "note", "author": "p1", "text": "first", "topic": "why_here"}]},
        {"snapshot": "s2", "label": "two", "notes": [
            {"id": "why1", "kind": "note", "author": "p1", "text": "first", "topic": "why_here"},
            {"id": "why2", "kind": "note", "author": "p1", "text": "again", "topic": "why_here"}]},
    ]}]


def test_report_without_snapshots() -> None:
    out = report({"board": "b", "title": "T", "created": 86_400_000}, [], [])
    assert out["snapshots"] == [] and out["agreements"] == [] and out["topics"] == []
    assert out["dates"] == ["1970-01-02"]
