"""The SVG export (server/report/render.py): valid, complete, escaped, laid out."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from schemas.elements import KINDS
from server.core.templates import template_elements
from server.report.render import render_svg
from server.report.render_shapes import SIZES, lane_width

SVG = "{http://www.w3.org/2000/svg}"


def board() -> list[dict[str, Any]]:
    """One element of every kind, placed sensibly."""
    return [
        {"id": "f1", "kind": "frame", "x": 0, "y": 0, "z": "a5", "w": 1400, "h": 900,
         "label": "Territory frame", "exercise": "territory"},
        {"id": "tab", "kind": "table", "x": 400, "y": 450, "z": "a1", "r": 300,
         "label": "Zuidplein table"},
        {"id": "d1", "kind": "domain", "x": 350, "y": 400, "z": "a2", "r": 90,
         "label": "Sport", "owner": "Anna", "color": "#16a34a"},
        {"id": "d2", "kind": "domain", "x": 470, "y": 480, "z": "a3", "r": 90,
         "label": "Water", "owner": "Bram"},
        {"id": "t1", "kind": "territory", "x": 900, "y": 200, "z": "a4", "label": "Anna",
         "node": "person", "owner": "Anna"},
        {"id": "t2", "kind": "territory", "x": 1100, "y": 200, "z": "a6", "label": "Team Sport",
         "node": "team"},
        {"id": "t3", "kind": "territory", "x": 1100, "y": 320, "z": "a7", "label": "Director",
         "node": "manager"},
        {"id": "t4", "kind": "territory", "x": 900, "y": 320, "z": "a8", "label": "Board",
         "node": "table"},
        {"id": "l1", "kind": "link", "from": "t1", "to": "t2", "z": "a9", "x": 0, "y": 0,
         "rel": "member_of"},
        {"id": "l2", "kind": "link", "from": "t2", "to": "t3", "z": "aA", "x": 0, "y": 0,
         "rel": "reports_to", "label": "weekly"},
        {"id": "gs", "kind": "grade_scale", "x": 1500, "y": 0, "z": "aB",
         "label": "Integration grade", "question": "Where are we?"},
        {"id": "gv1", "kind": "grade_vote", "scale": "gs", "grade": "aligned",
         "aspect": "current", "x": 0, "y": 0, "z": "aC", "author": "p1"},
        {"id": "gv2", "kind": "grade_vote", "scale": "gs", "grade": "integrated",
         "aspect": "ambition", "x": 0, "y": 0, "z": "aD", "author": "p1"},
        {"id": "rc", "kind": "role_card", "x": 1500, "y": 200, "z": "aE",
         "role": "pen_holder", "holder": "Chen", "table": "Zuidplein", "acquired": "granted"},
        {"id": "n1", "kind": "note", "x": 1500, "y": 400, "z": "aF", "w": 200, "h": 120,
         "text": "Kids play outside", "topic": "why_here"},
        {"id": "ln", "kind": "lane", "x": 0, "y": 1000, "z": "aG", "label": "Spatial plan",
         "start": "2027-01-01", "end": "2027-12-31"},
        {"id": "m1", "kind": "milestone", "lane": "ln", "date": "2027-07-02", "x": 0, "y": 0,
         "z": "aH", "label": "Council decision", "milestone": "decision"},
        {"id": "ri", "kind": "ritual", "x": 1500, "y": 600, "z": "aI", "moment": "Kick-off",
         "focus": "Our shared task", "symbol": "A stone", "when": "January"},
        {"id": "s1", "kind": "stroke", "x": 0, "y": 0, "z": "aJ",
         "points": [10, 10, 50, 60, 90, 20], "color": "#dc2626", "width": 4},
        {"id": "tx", "kind": "text", "x": 20, "y": 1200, "z": "aK", "text": "Free words",
         "size": 20},
        {"id": "vo", "kind": "vote", "target": "n1", "value": "agree", "x": 0, "y": 0,
         "z": "aL"},
    ]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def groups(root: ET.Element) -> dict[str, ET.Element]:
    found = {g.get("data-id"): g for g in root.iter(f"{SVG}g") if g.get("data-id") is not None}
    return found  # type: ignore[return-value]


def all_text(node: ET.Element) -> str:
    return " ".join(" ".join(node.itertext()).split())


def view_box(root: ET.Element) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in root.get("viewBox", "").split())
    return x, y, w, h


def test_every_kind_renders_a_group_with_id_and_kind() -> None:
    els = board()
    assert {el["kind"] for el in els} == set(KINDS)
    root = parse(render_svg(els))
    found = groups(root)
    for el in els:
        assert el["id"] in found, el["id"]
        assert found[el["id"]].get("data-kind") == el["kind"]
        assert len(found[el["id"]]) > 0, f"{el['kind']} drew nothing"


def test_labels_and_texts_are_in_the_picture() -> None:
    root = parse(render_svg(board(), title="Atelier 3"))
    found = groups(root)
    expect = {
        "f1": "Territory frame", "tab": "Zuidplein table", "d1": "Sport", "d2": "Bram",
        "t2": "Team Sport", "l2": "weekly", "gs": "Integration grade", "rc": "Chen",
        "n1": "Kids play outside", "ln": "Spatial plan", "m1": "Council decision",
        "ri": "A stone", "tx": "Free words",
    }
    for eid, words in expect.items():
        assert words in all_text(found[eid]), eid
    assert "Pen holder" in all_text(found["rc"])  # the role humanised
    assert "Zuidplein" in all_text(found["rc"])
    assert {"Fragmented", "Aligned", "Coordinated", "Integrated"} <= set(
        all_text(found["gs"]).split()
    )
    assert "Atelier 3" in all_text(root)


def test_document_has_namespace_background_and_fitting_view_box() -> None:
    far = {"id": "far", "kind": "note", "x": 5000, "y": -3000, "z": "b0", "w": 100, "h": 80,
           "text": "far away"}
    els = [*board(), far]
    svg = render_svg(els)
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    root = parse(svg)
    x, y, w, h = view_box(root)
    assert x < 0 and y < -3000 and x + w > 5100 and y + h > 1200
    backgrounds = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == "#ffffff"]
    assert backgrounds and float(backgrounds[0].get("width", 0)) == pytest.approx(w)
    assert "DejaVu Sans" in root.get("font-family", "")


def test_width_scales_the_picture_and_keeps_the_aspect() -> None:
    root = parse(render_svg(board(), width=800))
    _, _, w, h = view_box(root)
    assert root.get("width") == "800"
    assert float(root.get("height", 0)) == pytest.approx(800 * h / w, abs=1)


@pytest.mark.parametrize(
    "hostile",
    [
        "</svg><script>alert(1)</script>",
        "a & b < c > d \" ' &amp;",
        "]]><!--",
        "\x00\x0b\x1f\ud800 ok",
    ],
)
def test_hostile_text_is_escaped(hostile: str) -> None:
    els = [
        {"id": "n", "kind": "note", "x": 0, "y": 0, "z": "a0", "w": 400, "h": 300,
         "text": hostile},
        {"id": "f", "kind": "frame", "x": 0, "y": 0, "z": "a1", "w": 500, "h": 400,
         "label": hostile},
        {"id": "r", "kind": "role_card", "x": 0, "y": 0, "z": "a2", "role": "custom",
         "title": hostile, "holder": hostile, "table": hostile},
        {"id": 'x"><script>', "kind": "text", "x": 0, "y": 0, "z": "a3", "text": hostile},
    ]
    svg = render_svg(els, title=hostile)
    svg.encode("utf-8")  # no lone surrogates left
    root = parse(svg)
    assert not [node for node in root.iter() if node.tag.endswith("script")]
    assert 'x"><script>' in groups(root)
    visible = hostile.replace("\x00", "").replace("\x0b", "").replace("\x1f", "")
    visible = " ".join(visible.replace("\ud800", "").split())
    assert visible in all_text(groups(root)["n"])


def test_user_colours_cannot_smuggle_urls_or_markup() -> None:
    els = [
        {"id": "d", "kind": "domain", "x": 0, "y": 0, "z": "a0", "r": 50, "label": "x",
         "color": "url(http://evil.example/x)"},
        {"id": "s", "kind": "stroke", "x": 0, "y": 0, "z": "a1", "points": [0, 0, 9, 9],
         "color": '"/><script>', "width": 2},
        {"id": "n", "kind": "note", "x": 0, "y": 0, "z": "a2", "w": 50, "h": 50, "text": "",
         "color": "#ABCDEF"},
    ]
    svg = render_svg(els)
    parse(svg)
    assert "evil.example" not in svg and "<script" not in svg
    assert "#ABCDEF" in svg  # a plain colour is kept


def test_empty_board_is_a_valid_svg() -> None:
    root = parse(render_svg([]))
    _, _, w, h = view_box(root)
    assert w > 0 and h > 0
    assert not groups(root)
    parse(render_svg([], title="Nothing yet"))


def test_drawing_order_is_layer_then_z_then_id() -> None:
    els = [
        {"id": "n2", "kind": "note", "x": 0, "y": 0, "z": "a1", "w": 10, "h": 10, "text": ""},
        {"id": "n1", "kind": "note", "x": 0, "y": 0, "z": "a1", "w": 10, "h": 10, "text": ""},
        {"id": "n0", "kind": "note", "x": 0, "y": 0, "z": "a0", "w": 10, "h": 10, "text": ""},
        {"id": "dm", "kind": "domain", "x": 0, "y": 0, "z": "z9", "r": 5, "label": ""},
        {"id": "fr", "kind": "frame", "x": 0, "y": 0, "z": "zz", "w": 10, "h": 10, "label": ""},
    ]
    order = [g.get("data-id") for g in parse(render_svg(els)).iter(f"{SVG}g")]
    assert order == ["fr", "dm", "n0", "n1", "n2"]


def test_long_note_text_wraps_inside_the_note_and_ends_in_an_ellipsis() -> None:
    text = "boundary " * 80
    el = {"id": "n", "kind": "note", "x": 0, "y": 0, "z": "a0", "w": 200, "h": 120,
          "text": text}
    note = groups(parse(render_svg([el])))["n"]
    spans = [s.text or "" for s in note.iter(f"{SVG}tspan")]
    assert 2 <= len(spans) <= 6
    assert all(len(s) * 14 * 0.5 <= 200 for s in spans)
    assert spans[-1].endswith("…")
    assert note.find(f"{SVG}clipPath") is not None


def test_milestone_sits_on_its_lane_by_date() -> None:
    els = board()
    lane = next(el for el in els if el["id"] == "ln")
    width = lane_width(lane)
    path = groups(parse(render_svg(els)))["m1"].find(f"{SVG}path")
    assert path is not None
    x = float(re.match(r"M(-?[\d.]+),", path.get("d", "")).group(1))  # type: ignore[union-attr]
    assert x == pytest.approx(lane["x"] + width * 182 / 364, abs=2)  # July 2 = mid-year


def test_grade_votes_sit_on_their_grade_column_filled_or_outlined() -> None:
    root = parse(render_svg(board()))
    found = groups(root)
    scale_x, scale_w = 1500, SIZES["grade_scale"][0]
    current = found["gv1"].find(f"{SVG}circle")
    ambition = found["gv2"].find(f"{SVG}circle")
    assert current is not None and ambition is not None
    assert current.get("fill") != "#ffffff" and ambition.get("fill") == "#ffffff"
    quarter = scale_w / 4
    assert scale_x + quarter <= float(current.get("cx", 0)) < scale_x + 2 * quarter  # aligned
    assert scale_x + 3 * quarter <= float(ambition.get("cx", 0)) <= scale_x + scale_w
    assert float(ambition.get("cy", 0)) > float(current.get("cy", 0))


def test_links_are_styled_by_relation_and_skip_missing_ends() -> None:
    dangling = {"id": "l9", "kind": "link", "from": "t1", "to": "gone", "z": "b1", "x": 0,
                "y": 0, "rel": "decides"}
    els = [*board(), dangling]
    found = groups(parse(render_svg(els)))
    member, reports = found["l1"].find(f"{SVG}line"), found["l2"].find(f"{SVG}line")
    assert member is not None and reports is not None
    assert member.get("stroke-dasharray") is None and reports.get("stroke-dasharray")
    assert "url(#" in (reports.get("marker-end") or "")
    assert found["l9"].find(f"{SVG}line") is None


def test_atelier_template_renders_every_frame_label() -> None:
    els = template_elements("atelier")
    root = parse(render_svg(els, title="Atelier"))
    found = groups(root)
    assert set(found) == {el["id"] for el in els}
    for frame in (el for el in els if el["kind"] == "frame"):
        assert frame["label"] in all_text(found[frame["id"]])


def test_grade_votes_take_the_voters_board_colour() -> None:
    from server.report.render import render_svg

    scale = {"id": "s", "kind": "grade_scale", "x": 0, "y": 0, "z": "a", "label": "Grade"}
    vote = {"id": "g", "kind": "grade_vote", "x": 0, "y": 0, "z": "b", "scale": "s",
            "grade": "aligned", "aspect": "current", "author": "pada"}
    svg = render_svg([scale, vote], colors={"pada": "#303f9f"})
    assert 'fill="#303f9f"' in svg
    hostile = render_svg([scale, vote], colors={"pada": 'red" onload="x'})
    assert "onload" not in hostile


# -- the board's language ----------------------------------------------------------------


def test_fixed_words_and_dates_follow_the_boards_language() -> None:
    nl = groups(parse(render_svg(board(), lang="nl")))
    assert {"Gefragmenteerd", "Uitgelijnd", "Gecoördineerd", "Geïntegreerd"} <= set(
        t.text for t in nl["gs"].iter(f"{SVG}text"))
    assert "nu" in all_text(nl["gs"]) and "ambitie" in all_text(nl["gs"])
    assert "Penvoerder" in all_text(nl["rc"]) and "aan Zuidplein" in all_text(nl["rc"])
    assert "Toegekend" in all_text(nl["rc"])
    assert "Lid van" in all_text(nl["l1"])
    assert "Waarom zit ik hier?" in all_text(nl["n1"])
    assert "TERRITORIUM" in all_text(nl["f1"])
    assert "Ritueel" in all_text(nl["ri"]) and "Stilstaan bij:" in all_text(nl["ri"])
    assert "1 jan 2027 → 31 dec 2027" in all_text(nl["ln"])
    assert "2 jul 2027 · Besluit" in all_text(nl["m1"])
    en = groups(parse(render_svg(board())))  # English unless told
    assert "Member of" in all_text(en["l1"]) and "1 Jan 2027 → 31 Dec 2027" in all_text(en["ln"])
    assert "(leeg bord)" in render_svg([], lang="nl")


def test_the_dutch_atelier_exports_as_utf8_with_its_diacritics() -> None:
    svg = render_svg(template_elements("atelier", "nl"), title="Atelier Zuidoever — één",
                     lang="nl")
    root = ET.fromstring(svg.encode("utf-8"))
    words = all_text(root)
    for term in ("Taak — waarom zitten we aan deze tafel?", "Geïntegreerd", "Gecoördineerd",
                 "één", "Onze omgangscode", "4 jan 2027"):
        assert term in words, term
    assert "DejaVu Sans" in (root.get("font-family") or "")


def test_lanes_name_their_months_and_milestones_show_their_date() -> None:
    nl = groups(parse(render_svg(board(), lang="nl")))
    ticks = [t.text for t in nl["ln"].iter(f"{SVG}text")][2:]  # after the label and the span
    assert ticks[0] == "jan 2027"  # the first name carries the year
    assert "jul" in ticks and "2028" not in "".join(t or "" for t in ticks)
    assert "2 jul" in [t.text for t in nl["m1"].iter(f"{SVG}text")]


# -- a milestone whose lane is gone ----------------------------------------------------------


def diamond(node: ET.Element) -> tuple[float, float]:
    """The centre of a milestone's diamond (its path starts at the top corner)."""
    path = node.find(f"{SVG}path")
    assert path is not None
    m = re.match(r"M(-?[\d.]+),(-?[\d.]+) ", path.get("d", ""))
    assert m is not None
    return float(m.group(1)), float(m.group(2)) + 8


@pytest.mark.parametrize(("lang", "words"), [("en", "not on a lane"),
                                             ("nl", "niet op een tijdlijn")])
def test_a_milestone_without_its_lane_stays_out_of_the_corner_and_says_so(
        lang: str, words: str) -> None:
    time = {"id": "time", "kind": "frame", "x": 1500, "y": 0, "z": "a0", "w": 1400, "h": 900,
            "label": "Time", "exercise": "time"}
    stray = {"kind": "milestone", "lane": "gone", "x": 0, "y": 0, "parent": "time",
             "milestone": "decision"}
    els = [
        *board(), time,
        {**stray, "id": "s1", "z": "b1", "date": "2027-03-01", "label": "College decision"},
        {**stray, "id": "s2", "z": "b2", "date": "2027-04-01", "label": "Council vote"},
        {"id": "s3", "kind": "milestone", "lane": "gone", "x": 700, "y": 500, "z": "b3",
         "date": "2027-05-01", "label": "Made on its lane", "milestone": "delivery"},
        {"id": "s4", "kind": "milestone", "lane": "gone", "x": 0, "y": 0, "z": "b4",
         "date": "2027-05-01", "label": "Nowhere", "milestone": "delivery"},
    ]
    root = parse(render_svg(els, lang=lang))
    found = groups(root)
    # no place of its own: along the bottom of its frame, one beside the other
    (x1, y1), (x2, y2) = diamond(found["s1"]), diamond(found["s2"])
    assert 1500 < x1 < x2 < 2900 and y1 == y2 and 450 < y1 < 900, (x1, y1, x2, y2)
    assert diamond(found["s3"]) == (700, 500)  # where it was made
    assert diamond(found["s4"]) == (0, 0)  # no frame either: its own x/y, but marked
    for eid in ("s1", "s2", "s3", "s4"):
        assert words in all_text(found[eid]), eid
        path = found[eid].find(f"{SVG}path")
        assert path is not None and path.get("stroke-dasharray"), eid  # outlined, dashed
    on_lane = found["m1"]
    assert words not in all_text(on_lane)
    assert on_lane.find(f"{SVG}path").get("stroke-dasharray") is None  # type: ignore[union-attr]
    _, y0, _, h = view_box(root)  # the words under it are in the picture
    assert y0 + h >= 500 + 46 and y0 <= -12
