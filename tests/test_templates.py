"""Board templates (server/core/templates.py and server/templates/*.json)."""

from __future__ import annotations

import pytest

from schemas.elements import STAMPS, check_element
from server.core.board import SYSTEM, Actor, BoardState, Change, apply
from server.core.templates import TEMPLATES, template_elements
from server.report.render_shapes import box


def test_the_templates_are_blank_and_atelier() -> None:
    assert TEMPLATES == ("blank", "atelier")
    assert template_elements("blank") == []


def test_unknown_template_raises_key_error() -> None:
    for name in ("nope", "", "Atelier", "../atelier", "templates"):
        with pytest.raises(KeyError):
            template_elements(name)


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_element_validates_and_has_no_stamps(name: str) -> None:
    for el in template_elements(name):
        check_element(el)
        assert not set(STAMPS) & set(el), el["id"]
        assert el["id"].startswith("tpl-")


@pytest.mark.parametrize("name", TEMPLATES)
def test_ids_and_z_are_unique(name: str) -> None:
    els = template_elements(name)
    assert len({el["id"] for el in els}) == len(els)
    assert len({el["z"] for el in els}) == len(els)


def test_atelier_has_the_four_exercises_and_their_tools() -> None:
    els = template_elements("atelier")
    kinds = [el["kind"] for el in els]
    exercise_frames = [el for el in els if el["kind"] == "frame" and el.get("exercise")]
    assert sorted(el["exercise"] for el in exercise_frames) == ["role", "task", "territory", "time"]
    assert kinds.count("table") == 1
    assert kinds.count("grade_scale") == 1
    assert kinds.count("lane") == 2
    assert kinds.count("ritual") == 1
    scale = next(el for el in els if el["kind"] == "grade_scale")
    assert scale["label"] == "Integration grade" and scale["question"]
    joint = next(el for el in els if el["kind"] == "table")
    assert joint["label"] and joint["parent"] == "tpl-frame-territory"
    labels = " ".join(el.get("label", "") for el in els)
    assert "Why am I here?" in labels and "Our collective task" in labels
    assert "code of conduct" in labels.casefold()
    for lane in (el for el in els if el["kind"] == "lane"):
        assert lane["start"] < lane["end"] and lane["parent"] == "tpl-frame-time"


def test_each_exercise_frame_holds_a_one_line_instruction() -> None:
    els = template_elements("atelier")
    for frame in (el for el in els if el["kind"] == "frame" and el.get("exercise")):
        texts = [el for el in els if el["kind"] == "text" and el.get("parent") == frame["id"]]
        assert texts, frame["id"]


def test_atelier_children_name_a_frame_and_lie_inside_it() -> None:
    els = template_elements("atelier")
    frames = {el["id"]: el for el in els if el["kind"] == "frame"}
    for el in els:
        parent = el.get("parent")
        if el["kind"] == "frame" and el.get("exercise"):
            assert parent is None
            continue
        assert parent in frames, el["id"]
        fx, fy, fw, fh = box(frames[parent])  # type: ignore[misc]
        x, y, w, h = box(el)  # type: ignore[misc]
        assert fx <= x and fy <= y and x + w <= fx + fw and y + h <= fy + fh, el["id"]
        assert frames[parent]["z"] < el["z"], el["id"]  # drawn above its frame


def test_exercise_frames_do_not_overlap() -> None:
    frames = [box(el) for el in template_elements("atelier") if el.get("exercise")]
    for i, (ax, ay, aw, ah) in enumerate(frames):  # type: ignore[misc]
        for bx, by, bw, bh in frames[i + 1:]:  # type: ignore[misc]
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay


def test_template_elements_are_fresh_copies() -> None:
    first = template_elements("atelier")
    first[0]["label"] = "changed"
    first.clear()
    assert template_elements("atelier")[0].get("label") != "changed"


def test_atelier_applies_as_one_change_to_an_empty_board() -> None:
    els = template_elements("atelier")
    change = apply(BoardState("b1"), [{"op": "put", "el": el} for el in els],
                   Actor(SYSTEM, "facilitator"), 1_700_000_000_000, restore=True)
    assert isinstance(change, Change), change
    assert change.clock == 1 and len(change.after) == len(els)


# -- the Atelier in Dutch (server/templates/atelier.nl.json) ---------------------------

TEXT_FIELDS = ("label", "text", "question", "title", "moment", "focus", "symbol")


def test_the_dutch_atelier_is_the_english_one_with_dutch_texts() -> None:
    en, nl = template_elements("atelier", "en"), template_elements("atelier", "nl")
    assert en == template_elements("atelier")  # English is the default
    assert [el["id"] for el in nl] == [el["id"] for el in en]
    for a, b in zip(en, nl, strict=True):
        # the same element in the same place: only its words differ
        assert {k: v for k, v in a.items() if k not in TEXT_FIELDS} == {
            k: v for k, v in b.items() if k not in TEXT_FIELDS}, a["id"]
        assert set(a) == set(b), a["id"]
        for field in TEXT_FIELDS:
            if field in a:
                assert b[field] != a[field], (a["id"], field)


def test_the_dutch_atelier_speaks_the_methods_words() -> None:
    els = template_elements("atelier", "nl")
    words = "\n".join(str(el.get(f, "")) for el in els for f in TEXT_FIELDS)
    frames = [el["label"] for el in els if el["kind"] == "frame" and el.get("exercise")]
    assert [f.split(" — ")[0] for f in frames] == ["Taak", "Tijd", "Territorium", "Rol"]
    for term in ("Waarom zit ik hier?", "gezamenlijke opgave", "Integratiegraad",
                 "Gefragmenteerd", "Uitgelijnd", "Gecoördineerd", "Geïntegreerd",
                 "omgangscode", "thuishonk", "achterban", "procesbegeleider", "penvoerder",
                 "inhoudelijk vertegenwoordiger", "verbinder", "Rolkaarten"):
        assert term in words, term


def test_a_language_without_its_own_template_gets_english() -> None:
    assert template_elements("atelier", "fr") == template_elements("atelier", "en")
    assert template_elements("blank", "nl") == []
