"""SVG export of a board (pure: no I/O).

``render_svg(elements, title=..., width=...)`` returns one standalone SVG
document for a report: a ``viewBox`` that fits every element plus a margin, a
white background, an optional title, and each element as a
``<g data-id="..." data-kind="...">``. Drawing order: frames, then lanes, tables
and domains, then everything else; within a layer by ``z`` then ``id``.

Some kinds are placed by the element they point at: a ``milestone`` on its
lane by date, a ``grade_vote`` on its scale's grade column (current filled,
ambition outlined, coloured by voter), a ``vote`` as a badge on its target's
top edge, a ``link`` between the borders of its two ends. Without a valid
target they fall back to their own ``x``/``y`` (a link is then an empty group);
a milestone without its lane is then drawn outlined and says "not on a lane",
and one with no place of its own (0,0) lines up along its parent frame's bottom
rather than in the board's top-left corner (``_place_strays``, as geometry.js).

Fixed words (grade, role and relation names, captions) and dates follow ``lang``,
the board's language, from the pages' catalogs (``server.core.i18n``).

The function renders what it is given: filter private elements before calling.
Text is escaped and cleaned (see ``render_shapes``); malformed fields fall back
to defaults instead of raising.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from schemas import kinds
from server.core import i18n
from server.core.presence import color_for
from server.report import render_shapes as shapes
from server.report.render_shapes import (
    GRADES,
    LANE_H,
    SIZES,
    Box,
    Element,
    attr,
    clean,
    day,
    esc,
    f,
    fit,
    lane_width,
    num,
    text,
)

Places = dict[str, tuple[float, ...]]

MARGIN = 40.0
TITLE_BAND = 64.0
_LAYER = kinds.LAYERS
_CIRCLES = kinds.CIRCLES

_REL = {  # colour, dash pattern, width
    "member_of": ("#6b7280", "", 2.0),
    "reports_to": ("#2563eb", "8 5", 2.0),
    "decides": ("#b91c1c", "", 3.0),
    "escalates_to": ("#d97706", "10 4 2 4", 2.5),
    "involves": ("#6b7280", "2 4", 2.0),
}


def render_svg(
    elements: list[dict[str, Any]],
    *,
    title: str = "",
    width: int | None = None,
    colors: Mapping[str, str] | None = None,
    lang: str = i18n.DEFAULT_LANG,
) -> str:
    """The board as a standalone SVG document (a string). ``colors`` maps
    participant ids to their board colour (grade votes are drawn in it)."""
    els = [el for el in elements if isinstance(el, dict)]
    index = {el["id"]: el for el in els if isinstance(el.get("id"), str)}
    places = _placements(els, index)

    drawn = sorted(els, key=_order)
    bounds = [b for b in (_bounds(el, places) for el in drawn) if b is not None]
    if bounds:
        x0 = min(b[0] for b in bounds) - MARGIN
        y0 = min(b[1] for b in bounds) - MARGIN
        x1 = max(b[0] + b[2] for b in bounds) + MARGIN
        y1 = max(b[1] + b[3] for b in bounds) + MARGIN
    else:
        x0, y0, x1, y1 = 0.0, 0.0, 480.0, 240.0
    heading = clean(title).strip()
    if heading:
        y0 -= TITLE_BAND
    vw, vh = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    out_w = float(width) if width and width > 0 else math.ceil(vw)
    out_h = math.ceil(out_w * vh / vw)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{f(x0)} {f(y0)} {f(vw)} {f(vh)}" '
        f'width="{f(out_w)}" height="{out_h}" font-family={attr(shapes.FONT)}>',
        f"<title>{esc(heading or i18n.t(lang, 'render.untitled'))}</title>",
        _defs(),
        f'<rect x="{f(x0)}" y="{f(y0)}" width="{f(vw)}" height="{f(vh)}" fill="#ffffff"/>',
    ]
    if heading:
        size = 30.0
        parts.append(text(x0 + MARGIN, y0 + MARGIN + 6, fit(heading, vw - 2 * MARGIN,
                                 size, bold=True), size=size, bold=True, fill="#0f172a"))
    if not els:
        parts.append(text(x0 + vw / 2, y0 + vh / 2 + (TITLE_BAND / 2 if heading else 0),
                                 i18n.t(lang, "render.empty"), size=16, anchor="middle",
                                 fill="#9ca3af"))
    for el in drawn:
        parts.append(
            f"<g data-id={attr(el.get('id', ''))} data-kind={attr(el.get('kind', ''))}>"
            f"{_draw(el, index, places, colors or {}, lang)}</g>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _order(el: Element) -> tuple[int, str, str]:
    z, eid = el.get("z"), el.get("id")
    return (_LAYER.get(clean(el.get("kind")), 2), z if isinstance(z, str) else "",
            eid if isinstance(eid, str) else "")


def _defs() -> str:
    markers = "".join(
        f'<marker id="tt-arrow-{rel}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
        f'markerHeight="6" orient="auto-start-reverse" markerUnits="strokeWidth">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{tint}"/></marker>'
        for rel, (tint, _, _) in _REL.items()
    )
    return f"<defs>{markers}</defs>"


# -- placement of kinds that hang on other elements ---------------------------


def _placements(els: list[Element], index: dict[str, Element]) -> dict[str, tuple[float, ...]]:
    """Where milestones, grade votes and votes go: id -> (x, y[, label y])."""
    places: dict[str, tuple[float, ...]] = {}
    groups: dict[tuple[str, ...], list[Element]] = defaultdict(list)
    for el in els:
        kind = el.get("kind")
        if kind == "milestone":
            groups[("milestone", _ref(el, "lane"))].append(el)
        elif kind == "grade_vote":
            groups[("grade_vote", _ref(el, "scale"), clean(el.get("grade")),
                    clean(el.get("aspect")))].append(el)
        elif kind == "vote":
            groups[("vote", _ref(el, "target"))].append(el)
    for key, members in groups.items():
        target = index.get(key[1])
        members.sort(key=lambda el: (clean(el.get("date")), *_order(el)))
        if key[0] == "milestone":
            if target is not None and target.get("kind") == "lane":
                _place_milestones(members, target, places)
            _place_strays(members, index, places)
        elif key[0] == "grade_vote" and target is not None and target.get(
                "kind") == "grade_scale" and key[2] in GRADES:
            left, cw = scale_columns(target)[GRADES.index(key[2])]
            cy = scale_rows(target).get(key[3])
            step = min(16.0, (cw - 28) / max(1, len(members) - 1))
            for i, el in enumerate(members):
                if cy is not None:
                    places[_ref(el, "id")] = (left + 14 + i * step, cy)
        elif key[0] == "vote" and target is not None:
            _place_votes(members, target, places)
    return places


def _ref(el: Element, key: str) -> str:
    value = el.get(key)
    return value if isinstance(value, str) else ""


def _place_milestones(members: list[Element], lane: Element, places: Places) -> None:
    start, end = day(lane.get("start")), day(lane.get("end"))
    if not (start and end and end > start):
        return
    lx, ly, lw = num(lane, "x"), num(lane, "y"), lane_width(lane)
    total = (end - start).days
    for i, el in enumerate(m for m in members if day(m.get("date"))):
        when = day(el.get("date"))
        assert when is not None
        t = min(1.0, max(0.0, (when - start).days / total))
        label_y = ly + (34 if i % 2 == 0 else 70)
        places[_ref(el, "id")] = (lx + t * lw, ly + shapes.LANE_AXIS_Y, label_y)


#: The fourth item of a milestone's place when it is not on a lane.
NOT_ON_LANE = 1.0
_STRAY_STEP = 170.0  # room per milestone in a row (a label is fitted to 150)


def _place_strays(members: list[Element], index: dict[str, Element], places: Places) -> None:
    """Milestones left without a lane (it is gone, or has no valid span) stay where
    their own x/y say, marked NOT_ON_LANE; one with no place of its own (0,0: what
    clients that place by lane send) lines up along the bottom of its parent frame
    instead of landing in the board's top-left corner. As geometry.js's."""
    j = 0
    for el in members:
        eid = _ref(el, "id")
        if eid in places:
            continue
        x, y = num(el, "x"), num(el, "y")
        parent = index.get(_ref(el, "parent")) if x == 0 and y == 0 else None
        frame = shapes.box(parent) if parent is not None and parent.get(
            "kind") == "frame" else None
        if frame is not None:
            fx, fy, fw, fh = frame
            per_row = max(1, math.floor((fw - 40) / _STRAY_STEP))
            x = fx + 20 + _STRAY_STEP / 2 + (j % per_row) * _STRAY_STEP
            y = fy + fh - 56 - (j // per_row) * 56
            j += 1
        places[eid] = (x, y, y + 24, NOT_ON_LANE)


def _place_votes(members: list[Element], target: Element, places: Places) -> None:
    if target.get("kind") in _CIRCLES:
        r = num(target, "r")
        right, top = num(target, "x") + r * 0.7, num(target, "y") - r * 0.7
    else:
        tbox = shapes.box(target)
        if tbox is None:
            return
        right, top = tbox[0] + tbox[2] - 14, tbox[1]
    for i, el in enumerate(members):
        places[_ref(el, "id")] = (right - i * 22, top)


def _bounds(el: Element, places: dict[str, tuple[float, ...]]) -> Box | None:
    kind, eid = el.get("kind"), el.get("id")
    if kind in kinds.PLACED:
        place = places.get(eid) if isinstance(eid, str) else None
        if place is not None and not _off_lane(place):
            return None  # inside what it hangs on
        x, y = place[:2] if place else (num(el, "x"), num(el, "y"))
        if kind == "milestone":  # with the "not on a lane" line under its date
            return (x - 80, y - 12, 160, 62 if place and _off_lane(place) else 40)
        return (x - 12, y - 12, 24, 24)
    return shapes.box(el)


# -- drawing -------------------------------------------------------------------


def _draw(
    el: Element,
    index: dict[str, Element],
    places: dict[str, tuple[float, ...]],
    colors: Mapping[str, str],
    lang: str,
) -> str:
    kind = el.get("kind")
    place = places.get(el.get("id"))  # type: ignore[arg-type]
    if kind == "link":
        return _draw_link(el, index, lang)
    if kind == "milestone":
        x, y = (place[0], place[1]) if place else (num(el, "x"), num(el, "y"))
        return draw_milestone(el, x, y, place[2] if place else y + 24, lang,
                              off_lane=place is None or _off_lane(place))
    if kind == "grade_vote":
        cx, cy = (place or (num(el, "x"), num(el, "y")))[:2]
        return _draw_grade_vote(el, cx, cy, colors)
    if kind == "vote":
        return draw_vote(el, *(place or (num(el, "x"), num(el, "y"))))
    draw = _DRAW.get(kind) if isinstance(kind, str) else None
    return draw(el, lang) if draw else ""


def _off_lane(place: tuple[float, ...]) -> bool:
    return len(place) > 3 and place[3] == NOT_ON_LANE


def _draw_grade_vote(el: Element, cx: float, cy: float, colors: Mapping[str, str]) -> str:
    author = clean(el.get("author"))
    # the voter's own colour, as the live board shows their cursor and name
    known = colors.get(author)
    if known is not None and shapes.color(known, "") == "":
        known = None  # only a plain colour may reach an attribute
    tint = known or (color_for(author) if author else shapes.pick(clean(el.get("id"))))
    current = el.get("aspect") == "current"
    fill = tint if current else "#ffffff"
    note = clean(el.get("note")).strip()
    tip = f"<title>{esc(note)}</title>" if note else ""
    return (f'<circle cx="{f(cx)}" cy="{f(cy)}" r="6.5" fill="{fill}" stroke="{tint}" '
            f'stroke-width="{"1.5" if current else "2.5"}"/>{tip}')


def _centre(el: Element) -> tuple[float, float, Box | None, float]:
    """Centre, box and radius (0 for boxes) of a link end."""
    if el.get("kind") in _CIRCLES:
        return num(el, "x"), num(el, "y"), None, max(0.0, num(el, "r"))
    b = shapes.box(el)
    if b is None:
        return num(el, "x"), num(el, "y"), None, 0.0
    return b[0] + b[2] / 2, b[1] + b[3] / 2, b, 0.0


def _edge(cx: float, cy: float, dx: float, dy: float, b: Box | None, r: float) -> float:
    """How far from the centre along the unit direction (dx, dy) the shape's border is."""
    if b is None:
        return r
    tx = (b[2] / 2) / abs(dx) if dx else math.inf
    ty = (b[3] / 2) / abs(dy) if dy else math.inf
    return min(tx, ty)


def _draw_link(el: Element, index: dict[str, Element], lang: str) -> str:
    a, b = index.get(_ref(el, "from")), index.get(_ref(el, "to"))
    if a is None or b is None or a is b:
        return ""
    ax, ay, abox, ar = _centre(a)
    bx, by, bbox, br = _centre(b)
    dist = math.hypot(bx - ax, by - ay)
    if dist < 1:
        return ""
    ux, uy = (bx - ax) / dist, (by - ay) / dist
    start, end = _edge(ax, ay, ux, uy, abox, ar), _edge(bx, by, ux, uy, bbox, br)
    if start + end >= dist - 4:  # ends overlap: go centre to centre
        start = end = 0.0
    x1, y1 = ax + ux * start, ay + uy * start
    x2, y2 = bx - ux * (end + 2), by - uy * (end + 2)
    rel = clean(el.get("rel"))
    tint, dash, width = _REL.get(rel, _REL["involves"])
    marker = f"tt-arrow-{rel}" if rel in _REL else "tt-arrow-involves"
    dashing = f' stroke-dasharray="{dash}"' if dash else ""
    label = clean(el.get("label")).strip() or i18n.label(lang, "rel", rel)
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    return (
        f'<line x1="{f(x1)}" y1="{f(y1)}" x2="{f(x2)}" y2="{f(y2)}" stroke="{tint}" '
        f'stroke-width="{f(width)}"{dashing} marker-end="url(#{marker})"/>'
        + text(mx, my - 5, fit(label, 180, 11), size=11, anchor="middle", fill=tint,
                      extra=' paint-order="stroke" stroke="#ffffff" stroke-width="4" '
                      'stroke-linejoin="round"')
    )


# -- kinds whose geometry other elements hang on --------------------------------

_GRADE_FILL = ("#fee2e2", "#fef3c7", "#dcfce7", "#cffafe")


def scale_columns(el: Element) -> list[tuple[float, float]]:
    """(left x, width) of each grade column of a grade scale."""
    x = num(el, "x")
    w = SIZES["grade_scale"][0] - 16
    return [(x + 8 + i * w / 4, w / 4) for i in range(4)]


def scale_rows(el: Element) -> dict[str, float]:
    y = num(el, "y")
    rows = kinds.KINDS["grade_scale"].geometry.params
    return {"current": y + rows["current_y"], "ambition": y + rows["ambition_y"]}


def draw_grade_scale(el: Element, lang: str = "en") -> str:
    x, y = num(el, "x"), num(el, "y")
    w, h = SIZES["grade_scale"]
    out = [
        f'<rect x="{f(x)}" y="{f(y)}" width="{w}" height="{h}" rx="8" fill="#fafafa" '
        'stroke="#9ca3af" stroke-width="1.5"/>',
        text(x + 12, y + 21, fit(el.get("label"), w - 190, 15, bold=True), size=15, bold=True),
        f'<circle cx="{f(x + w - 150)}" cy="{f(y + 16)}" r="5" fill="#374151"/>',
        text(x + w - 140, y + 20, i18n.t(lang, "render.now"), size=11, fill="#374151"),
        f'<circle cx="{f(x + w - 90)}" cy="{f(y + 16)}" r="5" fill="#fff" stroke="#374151" '
        'stroke-width="2"/>',
        text(x + w - 80, y + 20, i18n.t(lang, "render.ambition"), size=11, fill="#374151"),
    ]
    question = clean(el.get("question")).strip()
    if question:
        out.append(text(x + 12, y + 38, fit(question, w - 24, 12), size=12, fill="#4b5563",
                        extra=' font-style="italic"'))
    for (cx, cw), grade, fill in zip(scale_columns(el), GRADES, _GRADE_FILL, strict=True):
        out.append(f'<rect x="{f(cx + 2)}" y="{f(y + 46)}" width="{f(cw - 4)}" height="66" '
                   f'rx="4" fill="{fill}"/>')
        out.append(text(cx + cw / 2, y + 62, i18n.label(lang, "grade", grade), size=12,
                        bold=True, anchor="middle", fill="#374151"))
    return "".join(out)


def draw_lane(el: Element, lang: str = "en") -> str:
    x, y = num(el, "x"), num(el, "y")
    w, h = lane_width(el), LANE_H
    start, end = day(el.get("start")), day(el.get("end"))
    span = " → ".join(i18n.format_day(lang, el.get(key)) for key in ("start", "end"))
    out = [
        f'<rect x="{f(x)}" y="{f(y)}" width="{f(w)}" height="{f(h)}" rx="6" fill="#f0fdf4" '
        'stroke="#86efac" stroke-width="1.5"/>',
        text(x + 10, y + 19, fit(el.get("label"), w - 190, 14, bold=True), size=14, bold=True),
        text(x + w - 10, y + 18, span, size=11, anchor="end", fill="#4b5563"),
        f'<line x1="{f(x)}" y1="{f(y + shapes.LANE_AXIS_Y)}" x2="{f(x + w)}" '
        f'y2="{f(y + shapes.LANE_AXIS_Y)}" '
        'stroke="#9ca3af" stroke-width="2"/>',
    ]
    if start and end and end > start:
        days = (end - start).days
        month = datetime.date(start.year, start.month, 1)
        names = _months(lang)
        every = max(1, math.ceil(44 / max(1.0, w / days * 30)))  # a name every so many months
        named, i = False, 0  # the first name and each January carry the year
        while month <= end and len(out) < 400:
            if month >= start:
                mx = x + (month - start).days / days * w
                out.append(f'<line x1="{f(mx)}" y1="{f(y + 42)}" x2="{f(mx)}" y2="{f(y + 50)}" '
                           'stroke="#9ca3af" stroke-width="1.5"/>')
                if i % every == 0 or month.month == 1:
                    name = names[month.month - 1]
                    name = name if named and month.month != 1 else f"{name} {month.year}"
                    out.append(text(mx + 2, y + 59, name, size=9, fill="#6b7280"))
                    named = True
                i += 1
            month = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return "".join(out)


def _months(lang: str) -> list[str]:
    names = i18n.t(lang, "date.months").split(",")
    return names if len(names) == 12 else [str(m) for m in range(1, 13)]


MILESTONE_FILL = {"deadline": "#dc2626", "decision": "#7c3aed", "delivery": "#2563eb",
                  "ritual": "#d97706"}


def draw_milestone(
    el: Element, cx: float, cy: float, label_y: float, lang: str = "en", *,
    off_lane: bool = False,
) -> str:
    """A diamond on its lane's axis; one not on a lane (``_place_strays``) is an
    outlined, dashed diamond that says so. As render.js's."""
    fill = MILESTONE_FILL.get(clean(el.get("milestone")), "#374151")
    when = day(el.get("date"))
    shown = (text(cx, label_y + (-12 if label_y < cy else 11),
                  f"{when.day} {_months(lang)[when.month - 1]}", size=9.5, anchor="middle",
                  fill="#475569") if when else "")
    no_lane = i18n.t(lang, "render.no_lane")
    if off_lane:
        shown += text(cx, label_y + (22 if when else 11), no_lane, size=9.5, anchor="middle",
                      fill="#b45309", extra=' font-style="italic"')
    paint = (f'fill="#fff" stroke="{fill}" stroke-width="2" stroke-dasharray="3 2"' if off_lane
             else f'fill="{fill}" stroke="#fff" stroke-width="1.5"')
    tip = [i18n.format_day(lang, el.get("date")), i18n.label(lang, "milestone",
                                                             el.get("milestone"))]
    return (
        f'<path d="M{f(cx)},{f(cy - 8)} L{f(cx + 8)},{f(cy)} L{f(cx)},{f(cy + 8)} '
        f'L{f(cx - 8)},{f(cy)} Z" {paint}/>'
        + text(cx, label_y, fit(el.get("label"), 150, 11), size=11, anchor="middle",
               fill="#111827") + shown
        + f"<title>{esc(' · '.join(w for w in [*tip, no_lane if off_lane else ''] if w))}"
        "</title>"
    )


_VOTE = {"agree": ("#16a34a", "M-4,0 L-1,3.5 L4.5,-3.5"), "disagree": ("#dc2626",
         "M-3.5,-3.5 L3.5,3.5 M3.5,-3.5 L-3.5,3.5"), "plus": ("#2563eb", "M-4,0 H4 M0,-4 V4")}


def draw_vote(el: Element, cx: float, cy: float) -> str:
    fill, path = _VOTE.get(clean(el.get("value")), ("#6b7280", "M-3,0 H3"))
    return (f'<circle cx="{f(cx)}" cy="{f(cy)}" r="10" fill="{fill}" stroke="#fff" '
            f'stroke-width="2"/><path transform="translate({f(cx)},{f(cy)})" d="{path}" '
            'fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round"/>')


def _wordless(draw: Callable[[Element], str]) -> Callable[[Element, str], str]:
    return lambda el, lang: draw(el)


_DRAW: dict[str, Callable[[Element, str], str]] = {
    "frame": shapes.draw_frame,
    "table": _wordless(shapes.draw_table),
    "domain": _wordless(shapes.draw_domain),
    "territory": _wordless(shapes.draw_territory),
    "note": shapes.draw_note,
    "role_card": shapes.draw_role_card,
    "grade_scale": draw_grade_scale,
    "lane": draw_lane,
    "ritual": shapes.draw_ritual,
    "stroke": _wordless(shapes.draw_stroke),
    "text": _wordless(shapes.draw_text),
}
