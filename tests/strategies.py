"""Hypothesis strategies for elements, ops and actors."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from server.core.board import Actor

IDS = [f"e{i}" for i in range(8)]
ACTORS = [Actor("pa", "participant"), Actor("pb", "participant"), Actor("pf", "facilitator"),
          Actor("pv", "viewer")]

coords = st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False),
                   st.just(float("nan")), st.just(2e6))
texts = st.text(max_size=20)
ids = st.sampled_from(IDS)


@st.composite
def elements(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["note", "domain", "table", "grade_vote", "stroke", "text"]))
    el: dict[str, Any] = {"id": draw(ids), "kind": kind, "x": draw(coords), "y": draw(coords),
                          "z": draw(st.sampled_from(["a0", "a1", "b"]))}
    if kind == "note":
        el.update(text=draw(texts), w=100, h=80)
    elif kind in ("domain", "table"):
        el.update(label=draw(texts), r=draw(st.sampled_from([10, 50.5, -1])))
    elif kind == "grade_vote":
        el.update(scale="s1", grade=draw(st.sampled_from(["aligned", "integrated", "bogus"])),
                  aspect="current")
    elif kind == "stroke":
        el.update(points=draw(st.lists(st.integers(-50, 50), max_size=8)), color="#000", width=2)
    else:
        el.update(text=draw(texts))
    if draw(st.booleans()):
        el["locked"] = draw(st.booleans())
    if draw(st.integers(0, 9)) == 0:
        el["bogus_field"] = 1
    return el


@st.composite
def ops(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["put", "put", "patch", "patch", "del"]))
    if kind == "put":
        return {"op": "put", "el": draw(elements())}
    if kind == "del":
        return {"op": "del", "id": draw(ids)}
    field = draw(st.sampled_from(["x", "y", "text", "label", "locked", "r", "z", "kind"]))
    value = draw(st.one_of(coords, texts, st.booleans()))
    patch: dict[str, Any] = {"op": "patch", "id": draw(ids), "set": {field: value}}
    if draw(st.integers(0, 4)) == 0:
        patch["unset"] = [draw(st.sampled_from(["color", "locked", "text"]))]
    return patch


batches = st.lists(st.tuples(st.sampled_from(ACTORS), st.lists(ops(), min_size=1, max_size=4)),
                   max_size=25)
