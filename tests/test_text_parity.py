"""Text wraps and fits its shape by the same rules live and in the SVG export: every
case of tests/text_cases.json goes through server/report/render_shapes.py and through
canvas_client/web/geometry.js (in node), and both must give the same lines."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from server.report import render_shapes as shapes
from tests.conftest import ROOT

CASES: dict[str, Any] = json.loads((ROOT / "tests" / "text_cases.json").read_text("utf-8"))
GROUPS = ("fit", "wrap", "fit_text", "labels")

NODE = """
import { readFileSync } from 'node:fs';
import * as g from './canvas_client/web/geometry.js';
const cases = JSON.parse(readFileSync('tests/text_cases.json', 'utf8'));
const out = {
  fit: cases.fit.map(({ args: [t, w, s, b] }) => g.fit(t, w, s, b)),
  wrap: cases.wrap.map(({ args: [t, w, s, n, b] }) => g.wrap(t, w, s, n, b)),
  fit_text: cases.fit_text.map(({ args: [t, w, h, s, b, m] }) => {
    const r = g.fitText(t, w, h, s, { bold: b, minSize: m });
    return [r.lines, r.size];
  }),
  labels: cases.labels.map(({ el }) => {
    const r = g.labelLayout(el);
    return r && [r.lines, r.size];
  }),
};
process.stdout.write(JSON.stringify(out));
"""


def python_results() -> dict[str, list[Any]]:
    return {
        "fit": [shapes.fit(t, w, s, bold=b) for t, w, s, b in (c["args"] for c in CASES["fit"])],
        "wrap": [shapes.wrap(t, w, s, n, bold=b)
                 for t, w, s, n, b in (c["args"] for c in CASES["wrap"])],
        "fit_text": [list(shapes.fit_text(t, w, h, s, bold=b, min_size=m))
                     for t, w, h, s, b, m in (c["args"] for c in CASES["fit_text"])],
        "labels": [None if (r := shapes.label_layout(c["el"])) is None else list(r)
                   for c in CASES["labels"]],
    }


@pytest.fixture(scope="module")
def js_results() -> dict[str, list[Any]]:
    run = subprocess.run(["node", "--input-type=module", "-e", NODE], cwd=ROOT,
                         capture_output=True, text=True, timeout=30, check=True)
    results: dict[str, list[Any]] = json.loads(run.stdout)
    return results


@pytest.mark.parametrize("group", GROUPS)
def test_python_and_javascript_lay_text_out_alike(
    group: str, js_results: dict[str, list[Any]]
) -> None:
    py = python_results()[group]
    js = js_results[group]
    assert len(py) == len(js) == len(CASES[group])
    for case, mine, theirs in zip(CASES[group], py, js, strict=True):
        assert mine == theirs, case


@pytest.mark.parametrize("group", GROUPS)
def test_the_pinned_cases_give_what_they_must(group: str) -> None:
    for case, got in zip(CASES[group], python_results()[group], strict=True):
        if "expect" in case:
            assert got == case["expect"], case


def test_labels_wrap_where_the_shape_has_room_and_are_cut_only_where_it_has_none() -> None:
    for case in CASES["labels"]:
        laid = shapes.label_layout(case["el"])
        if laid is None:
            continue
        lines, _ = laid
        text = " ".join(str(case["el"].get("label", case["el"].get("text", ""))).split())
        if " ".join(lines).replace("…", "") != text:
            assert lines[-1].endswith("…"), case  # cut: and says so
    territory = shapes.label_layout(CASES["labels"][0]["el"])
    assert territory is not None and "…" not in "".join(territory[0])
