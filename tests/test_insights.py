"""TTTR insights (server/report/insights.py): each rule fires when it should, and only then."""

from __future__ import annotations

from typing import Any

from server.report.insights import insights

_z = iter(range(10_000))


def el(kind: str, eid: str, **fields: Any) -> dict[str, Any]:
    return {"id": eid, "kind": kind, "x": 0, "y": 0, "z": f"a{next(_z)}", **fields}


def table(eid: str, x: float, y: float, r: float) -> dict[str, Any]:
    return el("table", eid, x=x, y=y, r=r, label=eid)


def domain(eid: str, x: float, y: float, r: float, owner: str | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"x": x, "y": y, "r": r, "label": eid}
    if owner is not None:
        fields["owner"] = owner
    return el("domain", eid, **fields)


def card(eid: str, role: str, holder: str | None = None, tbl: str | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"role": role}
    if holder is not None:
        fields["holder"] = holder
    if tbl is not None:
        fields["table"] = tbl
    return el("role_card", eid, **fields)


def vote(eid: str, grade: str, aspect: str, scale: str = "gs") -> dict[str, Any]:
    return el("grade_vote", eid, scale=scale, grade=grade, aspect=aspect)


def milestone(eid: str, lane: str, date: str) -> dict[str, Any]:
    return el("milestone", eid, lane=lane, date=date, label=eid, milestone="deadline")


def person(name: str, role: str = "participant") -> dict[str, Any]:
    return {"id": f"p_{name}", "name": name, "role": role, "color": "#000", "online": True}


def roles_of(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    roles: list[dict[str, Any]] = insights(elements, [])["roles"]
    return roles


def rules(elements: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(w["rule"], w["holder"], w["table"]) for w in roles_of(elements)}


# -- shape ---------------------------------------------------------------------


def test_empty_board_has_the_full_shape() -> None:
    assert insights([], []) == {
        "territory": {"overlaps": [], "outside": [], "without_domain": []},
        "grades": {},
        "roles": [],
        "time": [],
    }


# -- territory -----------------------------------------------------------------


def test_overlapping_domains_are_reported_as_sorted_pairs() -> None:
    els = [
        domain("zeta", 0, 0, 50),
        domain("alpha", 90, 0, 50),  # distance 90 < 100: overlaps zeta
        domain("mid", 300, 0, 50),
        domain("beta", 399.9, 0, 50),  # 99.9 < 100: overlaps mid
        domain("far", 1000, 1000, 10),
    ]
    assert insights(els, [])["territory"]["overlaps"] == [["alpha", "zeta"], ["beta", "mid"]]


def test_touching_or_separate_domains_do_not_overlap() -> None:
    els = [domain("a", 0, 0, 50), domain("b", 100, 0, 50), domain("c", 0, 300, 10)]
    assert insights(els, [])["territory"]["overlaps"] == []


def test_domain_outside_or_across_the_table_edge_is_outside() -> None:
    els = [
        table("t", 0, 0, 100),
        domain("inside", 0, 0, 50),
        domain("exactly", 60, 0, 40),  # 60 + 40 = 100: wholly inside
        domain("across", 80, 0, 30),  # 80 + 30 > 100
        domain("away", 500, 500, 20),
    ]
    assert insights(els, [])["territory"]["outside"] == ["across", "away"]


def test_a_domain_inside_any_table_is_not_outside() -> None:
    els = [table("t1", 0, 0, 100), table("t2", 1000, 0, 100), domain("d", 1000, 20, 50)]
    assert insights(els, [])["territory"]["outside"] == []


def test_without_tables_every_domain_is_outside() -> None:
    els = [domain("b", 0, 0, 5), domain("a", 50, 0, 5)]
    assert insights(els, [])["territory"]["outside"] == ["a", "b"]


def test_people_without_a_domain_are_named() -> None:
    els = [domain("d1", 0, 0, 5, owner="  anna "), domain("d2", 0, 0, 5, owner="Bram")]
    people = [
        person("Anna"),  # owns d1 (trimmed, case-insensitive)
        person("BRAM", "facilitator"),
        person("Chen"),
        person("Dirk", "facilitator"),  # facilitators lead the exercise: not asked
        person("Screen", "viewer"),  # viewers are not asked
        person("  "),  # no name
        person("chen"),  # the same person twice counts once
    ]
    assert insights(els, people)["territory"]["without_domain"] == ["Chen"]


def test_everyone_with_a_domain_leaves_nobody_without() -> None:
    els = [domain("d1", 0, 0, 5, owner="Anna")]
    assert insights(els, [person("anna")])["territory"]["without_domain"] == []


def test_a_templates_examples_are_left_out_but_its_tables_stay() -> None:
    example = {"author": "system"}
    els = [
        {**table("tpl-table", 0, 0, 100), **example},
        {**domain("tpl-domain", 500, 0, 10, owner="Anna"), **example},  # would be outside
        {**card("tpl-role-example", "custom"), **example},  # would lack a pen holder
        {**domain("tpl-mine", 0, 0, 10, owner="Bram"), "author": "p1"},  # a person's, kept
        {**domain("d1", 0, 0, 10, owner="Chen"), "author": "p2"},
    ]
    found = insights(els, [person("Anna"), person("Bram"), person("Chen")])
    assert found["territory"] == {"overlaps": [["d1", "tpl-mine"]], "outside": [],
                                  "without_domain": ["Anna"]}
    assert found["roles"] == []


# -- grades --------------------------------------------------------------------


def test_grade_counts_and_spread_per_aspect() -> None:
    els = [
        el("grade_scale", "gs", label="Integration grade"),
        vote("v1", "fragmented", "current"),
        vote("v2", "coordinated", "current"),
        vote("v3", "aligned", "current"),
        vote("v4", "integrated", "ambition"),
        vote("v5", "integrated", "ambition"),
    ]
    assert insights(els, [])["grades"] == {
        "gs": {
            "current": {"fragmented": 1, "aligned": 1, "coordinated": 1, "integrated": 0},
            "ambition": {"fragmented": 0, "aligned": 0, "coordinated": 0, "integrated": 2},
            "spread": {"current": 2, "ambition": 0},
        }
    }


def test_a_scale_without_votes_has_zeros_and_no_spread() -> None:
    got = insights([el("grade_scale", "gs", label="g")], [])["grades"]["gs"]
    assert set(got["current"].values()) == {0} and len(got["current"]) == 4
    assert got["spread"] == {"current": 0, "ambition": 0}


def test_full_spread_and_votes_on_an_unknown_scale_are_counted_per_scale() -> None:
    els = [
        el("grade_scale", "gs", label="g"),
        vote("v1", "fragmented", "ambition"),
        vote("v2", "integrated", "ambition"),
        vote("v3", "aligned", "current", scale="other"),
    ]
    grades = insights(els, [])["grades"]
    assert grades["gs"]["spread"]["ambition"] == 3
    assert grades["other"]["current"]["aligned"] == 1
    assert grades["other"]["spread"] == {"current": 0, "ambition": 0}


# -- roles ---------------------------------------------------------------------


def test_process_and_content_in_one_hand_at_one_table() -> None:
    els = [
        card("c1", "chair", "Anna", "Zuidplein"),
        card("c2", "expert", " anna ", "zuidplein"),
        card("c3", "pen_holder", "Bram", "Zuidplein"),
    ]
    warnings = [w for w in roles_of(els) if w["rule"] == "process_and_content"]
    assert warnings == [
        {"rule": "process_and_content", "holder": "Anna", "table": "Zuidplein",
         "cards": ["c1", "c2"]}
    ]


def test_process_and_content_by_different_people_or_tables_is_fine() -> None:
    els = [
        card("c1", "process_facilitator", "Anna", "Zuidplein"),
        card("c2", "content_representative", "Bram", "Zuidplein"),
        card("c3", "expert", "Anna", "Noord"),  # another table
        card("c4", "pen_holder", "Chen", "Zuidplein"),
    ]
    assert "process_and_content" not in {w["rule"] for w in roles_of(els)}


def test_a_table_without_a_pen_holder() -> None:
    els = [card("c1", "chair", "Anna", "Zuidplein"), card("c2", "expert", "Bram", "Zuidplein")]
    warnings = [w for w in roles_of(els) if w["rule"] == "no_pen_holder"]
    assert warnings == [
        {"rule": "no_pen_holder", "holder": "", "table": "Zuidplein", "cards": ["c1", "c2"]}
    ]


def test_a_table_with_a_pen_holder_has_no_pen_warning() -> None:
    els = [card("c1", "chair", "Anna", "Zuidplein"), card("c2", "pen_holder", "Bram", "Zuidplein")]
    assert rules(els) == set()


def test_a_table_without_a_process_role() -> None:
    els = [card("c1", "pen_holder", "Anna"), card("c2", "expert", "Bram", "")]
    warnings = [w for w in roles_of(els) if w["rule"] == "no_process_role"]
    assert warnings == [
        {"rule": "no_process_role", "holder": "", "table": "", "cards": ["c1", "c2"]}
    ]


def test_any_process_role_satisfies_the_table() -> None:
    for role in ("chair", "process_facilitator", "process_manager", "external_facilitator"):
        els = [card("c1", "pen_holder", "Anna", "T"), card("c2", role, "Bram", "T")]
        assert "no_process_role" not in {w["rule"] for w in roles_of(els)}, role


def test_double_position_across_tables() -> None:
    els = [
        card("c1", "chair", "Anna", "Zuidplein"),
        card("c2", "pen_holder", "Bram", "Zuidplein"),
        card("c3", "expert", "ANNA", "Noord"),
    ]
    warnings = [w for w in roles_of(els) if w["rule"] == "double_position"]
    assert warnings == [
        {"rule": "double_position", "holder": "Anna", "table": "", "cards": ["c1", "c3"]}
    ]


def test_several_hats_at_one_table_is_no_double_position() -> None:
    els = [card("c1", "chair", "Anna", "T"), card("c2", "pen_holder", "anna", " t ")]
    assert "double_position" not in {w["rule"] for w in roles_of(els)}


def test_role_warnings_come_in_rule_order() -> None:
    els = [
        card("c1", "chair", "Anna", "B"),
        card("c2", "expert", "Anna", "B"),
        card("c3", "expert", "Anna", "A"),
    ]
    order = [(w["rule"], w["table"]) for w in roles_of(els)]
    assert order == [
        ("process_and_content", "B"),
        ("no_pen_holder", "A"),
        ("no_pen_holder", "B"),
        ("no_process_role", "A"),
        ("double_position", ""),
    ]


def test_holder_is_reported_as_first_written() -> None:
    late = card("c1", "chair", "ANNA", "T") | {"created": 2000}
    early = card("c2", "expert", "Anna", "T") | {"created": 1000}
    assert roles_of([late, early])[0]["holder"] == "Anna"


# -- time ----------------------------------------------------------------------


def test_milestones_of_different_lanes_within_seven_days() -> None:
    els = [
        milestone("m1", "lane-a", "2027-03-01"),
        milestone("m2", "lane-b", "2027-03-08"),  # 7 days after m1
        milestone("m3", "lane-c", "2027-03-16"),  # 8 after m2, 15 after m1
    ]
    assert insights(els, [])["time"] == [{"milestones": ["m1", "m2"], "days": 7}]


def test_eight_days_apart_is_not_close() -> None:
    els = [milestone("m1", "lane-a", "2027-03-01"), milestone("m2", "lane-b", "2027-03-09")]
    assert insights(els, [])["time"] == []


def test_same_lane_pairs_are_excluded_and_each_pair_appears_once() -> None:
    els = [
        milestone("b", "lane-a", "2027-05-02"),
        milestone("a", "lane-a", "2027-05-01"),
        milestone("c", "lane-b", "2027-05-01"),
    ]
    assert insights(els, [])["time"] == [
        {"milestones": ["a", "c"], "days": 0},
        {"milestones": ["b", "c"], "days": 1},
    ]


def test_invalid_dates_are_ignored() -> None:
    els = [
        milestone("m1", "lane-a", "2027-02-30"),
        milestone("m2", "lane-b", "2027-03-01"),
        milestone("m3", "lane-c", "soon"),
        el("milestone", "m4", lane="lane-d", label="x", milestone="deadline"),
    ]
    assert insights(els, [])["time"] == []
