"""server/report/printable.py: the report as one HTML file, without a server."""

from __future__ import annotations

from typing import Any

from server.report.atelier import report
from server.report.printable import render


def el(eid: str, **fields: Any) -> dict[str, Any]:
    return {"id": eid, "kind": "note", "x": 0, "y": 0, "z": "a0", "w": 9, "h": 9,
            "author": "p1", "v": 1, "created": 1, "updated": 1, **fields}


def _report() -> dict[str, Any]:
    people = [{"id": "p1", "name": "Anna <b>", "color": "#123456", "role": "participant"}]
    s1 = ({"snapshot": "s1", "label": "Ronde 1", "clock": 1, "created_at": 1000},
          [el("n1", text="Waarom ik hier ben", topic="why_here")])
    s2 = ({"snapshot": "s2", "label": "Ronde <2>", "clock": 2, "created_at": 2000},
          [el("n1", text="Waarom ik hier ben", topic="why_here"),
           el("n2", text="Eerst schrijven", topic="do", locked=True)])
    return report({"board": "b", "title": "Atelier & co", "created": 0}, people, [s1, s2])


def test_the_page_holds_every_section_in_dutch_escaped() -> None:
    page = render(_report(), {"s1": "<svg id='one'></svg>"}, "nl")
    assert page.startswith("<!doctype html>") and 'lang="nl"' in page
    for needle in ("Atelier &amp; co", "Ronde 1", "Ronde &lt;2&gt;", "Anna &lt;b&gt;",
                   "<svg id='one'></svg>", "Onze afspraken", "Eerst schrijven",
                   "Erbij gekomen", "Rondes naast elkaar", "@page"):
        assert needle in page, needle
    assert "<b>" not in page


def test_english_and_an_unknown_language() -> None:
    assert "Our agreements" in render(_report(), {}, "en")
    assert "Our agreements" in render(_report(), {}, "xx")  # English where nothing else is
