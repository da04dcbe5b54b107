"""Shapes for the SVG export (pure): text helpers, default sizes, one function per kind.

Every ``draw_*`` function takes an element dict (and, where it writes fixed
words, the board's language) and returns the SVG markup of its *inside*
(``render.py`` wraps it in ``<g data-id data-kind>``). All user text goes
through ``esc``/``attr``: escaped, and stripped of characters XML 1.0 cannot
hold (control characters, lone surrogates). Colours a user chose are accepted
only in plain forms (``#hex``, a name, ``rgb()/hsl()``), so an attribute can
never carry ``url(...)`` or markup.
"""

from __future__ import annotations

import datetime
import math
import re
import zlib
from array import array
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from schemas import kinds
from server.core import i18n

Element = dict[str, Any]
Box = tuple[float, float, float, float]  # x, y, w, h

FONT = "'DejaVu Sans', Arial, Helvetica, sans-serif"
CHAR_W = kinds.TEXT["char_w"]  # average glyph width in em (the registry's; the browser's too)
BOLD_W = kinds.TEXT["bold_w"]
LINE_H = kinds.TEXT["line_h"]
MIN_SIZE = kinds.TEXT["min_size"]

#: Sizes of kinds that carry no ``w``/``h`` (the registry's; the browser reads the same).
SIZES: dict[str, tuple[float, float]] = kinds.SIZES
_LANE = kinds.KINDS["lane"].geometry.params
LANE_H = _LANE["h"]
LANE_PX_PER_DAY = _LANE["px_per_day"]  # a lane is as wide as its dates: one time axis
LANE_MIN_W = _LANE["min_w"]
LANE_MAX_W = _LANE["max_w"]
LANE_AXIS_Y = _LANE["axis_y"]  # where milestones sit, below the lane's top
TEXT_SIZE = kinds.KINDS["text"].geometry.params["size"]

GRADES: tuple[str, ...] = kinds.GRADES
PALETTE = ("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#db2777", "#65a30d")

_XML_BAD = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,24}|(?:rgba?|hsla?)\([0-9.,%\s]{1,48}\)")


# -- values ------------------------------------------------------------------


def clean(value: Any) -> str:
    """A string XML 1.0 can hold (non-strings become ``""``)."""
    return _XML_BAD.sub("", value) if isinstance(value, str) else ""


def esc(value: Any) -> str:
    return escape(clean(value))


def attr(value: Any) -> str:
    """A quoted attribute value (quotes included)."""
    return quoteattr(clean(value if isinstance(value, str) else str(value)))


def num(el: Element, key: str, default: float = 0.0) -> float:
    value = el.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return default


def f(value: float) -> str:
    """A compact number for SVG attributes."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def color(value: Any, default: str) -> str:
    return value.strip() if isinstance(value, str) and _COLOR.fullmatch(value.strip()) else default


def pick(key: str) -> str:
    """A palette colour chosen stably (crc32, not ``hash``) from a key."""
    return PALETTE[zlib.crc32(key.strip().casefold().encode("utf-8", "replace")) % len(PALETTE)]


def day(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


# -- text ----------------------------------------------------------------------


# The same rules as canvas_client/web/geometry.js (tests/text_cases.json checks both):
# lengths in code points, the same whitespace, the same measures.

_SPACE = re.compile("[ \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def _words(text: str) -> list[str]:
    return [word for word in _SPACE.split(text) if word]


def _room(width: float, size: float, bold: bool) -> int:
    return max(1, math.floor(width / (size * (BOLD_W if bold else CHAR_W))))


def fit(text: Any, width: float, size: float, *, bold: bool = False) -> str:
    """One line of ``text`` cut to ``width`` with an ellipsis (unescaped)."""
    line = " ".join(_words(clean(text)))
    room = _room(width, size, bold)
    return line if len(line) <= room else line[: max(0, room - 1)].rstrip() + "…"


@dataclass(frozen=True)
class Layout:
    lines: list[str]
    cut: bool  # text was left out (the last line ends in "…")
    broken: bool  # a word did not fit on a line


def layout(text: Any, width: float, size: float, max_lines: int, *,
           bold: bool = False) -> Layout:
    """Word-wrapped lines at most ``width`` wide, at most ``max_lines``."""
    if max_lines <= 0:
        return Layout([], clean(text).strip() != "", False)
    room = _room(width, size, bold)
    lines: list[str] = []
    broken = False
    for paragraph in clean(text).split("\n"):
        line = ""
        for word in _words(paragraph):
            while len(word) > room:
                broken = True
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:room])
                word = word[room:]
            if not line:
                line = word
            elif len(line) + 1 + len(word) <= room:
                line += " " + word
            else:
                lines.append(line)
                line = word
        lines.append(line)
        if len(lines) > max_lines:
            break
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    cut = len(lines) > max_lines
    if cut:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(0, room - 1)].rstrip() + "…"
    return Layout(lines, cut, broken)


def wrap(text: Any, width: float, size: float, max_lines: int, *, bold: bool = False) -> list[str]:
    """Word-wrap to ``width`` (approximate glyph width), at most ``max_lines``;
    a cut last line ends in an ellipsis. Long words are broken."""
    return layout(text, width, size, max_lines, bold=bold).lines


def fit_text(text: Any, width: float, height: float, size: float, *, bold: bool = False,
             min_size: float = MIN_SIZE) -> tuple[list[str], float]:
    """Text in a ``width`` x ``height`` box: as many lines as fit at ``size``; when it
    does not fit whole (or a word must break), a smaller size down to ``min_size``;
    cut last. Returns (lines, size)."""
    lowest = min(size, min_size)
    best: tuple[list[str], float, bool] | None = None
    s = size
    while True:
        max_lines = max(1, math.floor(height / (s * LINE_H) + 1e-9))
        got = layout(text, width, s, max_lines, bold=bold)
        if not got.cut and not got.broken:
            return got.lines, s
        if best is None or best[2]:  # whole and largest, else the most text
            best = (got.lines, s, got.cut)
        if s <= lowest:
            break
        s = max(lowest, s - 1)
    return best[0], best[1]


def territory_box(el: Element) -> Box:
    """The label's area of a territory card: (left, top, width, height)."""
    x, y = num(el, "x"), num(el, "y")
    w, h = SIZES["territory"]
    node = el.get("node") if el.get("node") in ("person", "team", "manager", "table") else "person"
    left = x + (38 if node == "person" else 18 if node == "table" else 10)
    top = y + 5 + (4 if node == "manager" else 0)
    owner = 13 if clean(el.get("owner")).strip() else 0
    return (left, top, x + w - 8 - left, y + h - 5 - top - owner)


def label_layout(el: Element) -> tuple[list[str], float] | None:
    """The label (note: text) of a shape laid out in it: (lines, size), or None for
    kinds whose texts sit on one line. The browser lays out the same
    (geometry.js ``labelLayout``)."""
    kind = el.get("kind")
    if kind == "territory":
        _, _, w, h = territory_box(el)
        return fit_text(el.get("label"), w, h, 13, bold=True)
    if kind == "table":
        r = max(0.0, num(el, "r"))
        size = max(10.0, min(24.0, r / 8))
        depth = size * 2.2  # the first line's baseline, below the circle's top
        chord = 2 * math.sqrt(max(0.0, r * r - (r - depth) ** 2)) - 16
        return fit_text(el.get("label"), max(40.0, chord), r * 0.5, size, bold=True)
    if kind == "domain":
        r = max(0.0, num(el, "r"))
        size = max(14.0, min(22.0, r / 7))  # bigger circles, bigger names: readable from afar
        return fit_text(el.get("label"), max(40.0, r * 1.6),
                        max(size * LINE_H, min(r * 0.9, size * LINE_H * 3)), size, bold=True)
    if kind == "note":
        w, h = max(0.0, num(el, "w")), max(0.0, num(el, "h"))
        foot = 18 if isinstance(el.get("topic"), str) and el.get("topic") else 0
        return fit_text(el.get("text"), w - 24, h - 24 - foot + 4, 15, min_size=11)
    return None


def text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = 14,
    bold: bool = False,
    anchor: str = "",
    fill: str = "#1f2937",
    extra: str = "",
) -> str:
    """A ``<text>`` of already-fitted (unescaped) content."""
    weight = ' font-weight="bold"' if bold else ""
    where = f' text-anchor="{anchor}"' if anchor else ""
    return (
        f'<text x="{f(x)}" y="{f(y)}" font-size="{f(size)}"{weight}{where} fill="{fill}"'
        f"{extra}>{esc(content)}</text>"
    )


def lines_text(x: float, y: float, lines: list[str], size: float, *, extra: str = "",
               fill: str = "#1f2937") -> str:
    spans = "".join(
        f'<tspan x="{f(x)}" y="{f(y + i * size * 1.3)}">{esc(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text font-size="{f(size)}" fill="{fill}"{extra}>{spans}</text>'


# -- geometry ------------------------------------------------------------------


def lane_width(el: Element) -> float:
    start, end = day(el.get("start")), day(el.get("end"))
    days = (end - start).days if start and end else 0
    return min(LANE_MAX_W, max(LANE_MIN_W, days * LANE_PX_PER_DAY))


def text_lines(el: Element) -> list[str]:
    return clean(el.get("text")).split("\n")


def box(el: Element) -> Box | None:
    """The rectangle an element covers by itself (None: placed by another element)."""
    kind = el.get("kind")
    x, y = num(el, "x"), num(el, "y")
    if kind in kinds.CIRCLES:
        r = max(0.0, num(el, "r"))
        return (x - r, y - r, 2 * r, 2 * r)
    if kind in ("frame", "note"):
        return (x, y, max(0.0, num(el, "w")), max(0.0, num(el, "h")))
    if kind in SIZES:
        return (x, y, *SIZES[kind])
    if kind == "lane":
        return (x, y, lane_width(el), LANE_H)
    if kind == "text":
        size = max(1.0, num(el, "size", TEXT_SIZE))
        lines = text_lines(el)
        width = max(len(line) for line in lines) * size * CHAR_W
        return (x, y, width, len(lines) * size * 1.3)
    if kind == "stroke":
        pts = points(el)
        if not pts:
            return None
        half = max(1.0, num(el, "width", 3)) / 2
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return (min(xs) - half, min(ys) - half, max(xs) - min(xs) + 2 * half,
                max(ys) - min(ys) + 2 * half)
    return None


def points(el: Element) -> list[tuple[float, float]]:
    raw = el.get("points")
    if not isinstance(raw, list | tuple | array):
        return []
    nums = [v for v in raw if isinstance(v, int | float) and math.isfinite(v)]
    return list(zip(nums[0::2], nums[1::2], strict=False))


# -- kinds ---------------------------------------------------------------------

_EXERCISE = {"task": "#dbeafe", "time": "#dcfce7", "territory": "#ffedd5", "role": "#ede9fe"}


def draw_frame(el: Element, lang: str = "en") -> str:
    x, y, w, h = box(el) or (0, 0, 0, 0)
    band = min(56.0, max(20.0, h * 0.3))
    r = min(14.0, w / 4, band / 2)
    size = band * 0.45
    exercise = el.get("exercise")
    fill = _EXERCISE.get(exercise, "#e5e7eb") if isinstance(exercise, str) else "#e5e7eb"
    tag = clean(i18n.label(lang, "exercise", exercise)).upper() if isinstance(exercise, str) else ""
    tag_w = len(tag) * size * 0.6 * BOLD_W + (24 if tag else 0)
    out = [
        f'<rect x="{f(x)}" y="{f(y)}" width="{f(w)}" height="{f(h)}" rx="{f(r)}" '
        'fill="#f8fafc" stroke="#94a3b8" stroke-width="2"/>',
        f'<path d="M{f(x)},{f(y + band)} V{f(y + r)} Q{f(x)},{f(y)} {f(x + r)},{f(y)} '
        f'H{f(x + w - r)} Q{f(x + w)},{f(y)} {f(x + w)},{f(y + r)} V{f(y + band)} Z" '
        f'fill="{fill}" stroke="#94a3b8" stroke-width="2"/>',
        text(x + 20, y + band * 0.66, fit(el.get("label"), w - 40 - tag_w, size, bold=True),
             size=size, bold=True, fill="#0f172a"),
    ]
    if tag:
        out.append(text(x + w - 20, y + band * 0.64, tag, size=size * 0.6, bold=True,
                        anchor="end", fill="#475569", extra=' letter-spacing="1.5"'))
    return "".join(out)


def draw_table(el: Element) -> str:
    x, y, r = num(el, "x"), num(el, "y"), max(0.0, num(el, "r"))
    lines, size = label_layout(el) or ([], 14.0)
    top = max(10.0, min(24.0, r / 8)) * 2.2
    return (
        f'<circle cx="{f(x)}" cy="{f(y)}" r="{f(r)}" fill="#fffbeb" stroke="#92400e" '
        'stroke-width="4"/>'
        + lines_text(x, y - r + top, lines, size,
                     extra=' font-weight="bold" text-anchor="middle"', fill="#78350f")
    )


def draw_domain(el: Element) -> str:
    x, y, r = num(el, "x"), num(el, "y"), max(0.0, num(el, "r"))
    owner = clean(el.get("owner")).strip()
    tint = color(el.get("color"), pick(owner or clean(el.get("label"))))
    width = max(40.0, r * 1.6)
    label, size = label_layout(el) or ([], 14.0)
    small = round(max(14.0, min(22.0, r / 7)) * 0.8)
    top = y - (len(label) - 1) * size * LINE_H / 2 - (small * 0.6 if owner else 0) + size * 0.35
    out = [
        f'<circle cx="{f(x)}" cy="{f(y)}" r="{f(r)}" fill={attr(tint)} fill-opacity="0.22" '
        f"stroke={attr(tint)} stroke-width=\"2.5\"/>",
        lines_text(x, top, label, size, extra=' font-weight="bold" text-anchor="middle"'),
    ]
    sub = " · ".join(part for part in (owner, clean(el.get("home")).strip()) if part)
    if sub:
        out.append(text(x, top + (len(label) - 1) * size * LINE_H + small * 1.5,
                        fit(sub, width, small), size=small, anchor="middle", fill="#374151"))
    return "".join(out)


_NODE = {
    "person": ("#eff6ff", "#1d4ed8"),
    "team": ("#f0fdf4", "#15803d"),
    "manager": ("#fff7ed", "#c2410c"),
    "table": ("#fdf2f8", "#be185d"),
}


def draw_territory(el: Element) -> str:
    x, y = num(el, "x"), num(el, "y")
    w, h = SIZES["territory"]
    node = clean(el.get("node")) if clean(el.get("node")) in _NODE else "person"
    fill, stroke = _NODE[node]
    shape = f'fill="{fill}" stroke="{stroke}" stroke-width="2"'
    left = x + 10
    if node == "person":
        out = [f'<rect x="{f(x)}" y="{f(y)}" width="{w}" height="{h}" rx="{h / 2}" {shape}/>',
               f'<circle cx="{f(x + 22)}" cy="{f(y + 17)}" r="6" fill="{stroke}"/>',
               f'<path d="M{f(x + 12)},{f(y + 36)} Q{f(x + 22)},{f(y + 18)} {f(x + 32)},'
               f'{f(y + 36)} Z" fill="{stroke}"/>']
        left = x + 38
    elif node == "team":
        out = [f'<rect x="{f(x)}" y="{f(y)}" width="{w}" height="{h}" rx="6" {shape}/>',
               f'<rect x="{f(x + 4)}" y="{f(y + 4)}" width="{w - 8}" height="{h - 8}" rx="3" '
               f'fill="none" stroke="{stroke}" stroke-width="1"/>']
    elif node == "manager":
        out = [f'<rect x="{f(x)}" y="{f(y)}" width="{w}" height="{h}" rx="4" {shape}/>',
               f'<rect x="{f(x)}" y="{f(y)}" width="{w}" height="8" rx="2" fill="{stroke}"/>']
    else:
        out = [f'<ellipse cx="{f(x + w / 2)}" cy="{f(y + h / 2)}" rx="{w / 2}" ry="{h / 2}" '
               f"{shape}/>"]
        left = x + 18
    _, top, room, area = territory_box(el)
    mid = left + room / 2
    owner = clean(el.get("owner")).strip()
    lines, size = label_layout(el) or ([], 13.0)
    first = top + (area - len(lines) * size * LINE_H) / 2 + size * 0.95
    out.append(lines_text(mid, first, lines, size,
                          extra=' font-weight="bold" text-anchor="middle"'))
    if owner:
        out.append(text(mid, y + h - 8, fit(owner, room, 10), size=10, anchor="middle",
                        fill="#4b5563"))
    return "".join(out)


_NOTE = {"why_here": "#fef08a", "collective_task": "#bbf7d0", "value": "#bfdbfe",
         "do": "#d9f99d", "dont": "#fecaca", "decision_rule": "#e9d5ff",
         "conflict_rule": "#fed7aa", "other": "#fef9c3"}


def draw_note(el: Element, lang: str = "en") -> str:
    x, y, w, h = box(el) or (0, 0, 0, 0)
    topic = clean(el.get("topic"))
    fill = color(el.get("color"), _NOTE.get(topic, "#fef08a"))
    clip = "clip-" + clean(el.get("id"))
    pad = 12.0
    dash = ' stroke-dasharray="6 4"' if el.get("private") is True else ""
    clipping = f" clip-path={attr(f'url(#{clip})')}"
    lines, size = label_layout(el) or ([], 15.0)
    out = [
        f"<clipPath id={attr(clip)}><rect x=\"{f(x)}\" y=\"{f(y)}\" width=\"{f(w)}\" "
        f'height="{f(h)}" rx="4"/></clipPath>',
        f'<rect x="{f(x)}" y="{f(y)}" width="{f(w)}" height="{f(h)}" rx="4" fill={attr(fill)} '
        f'stroke="#000" stroke-opacity="0.18"{dash}/>',
        lines_text(x + pad, y + pad + size, lines, size, extra=clipping),
    ]
    if topic:
        tag = i18n.label(lang, "topic", topic)
        out.append(text(x + pad, y + h - 7, fit(tag, w - 2 * pad, 10), size=10,
                        fill="#57534e", extra=clipping))
    return "".join(out)


PROCESS = frozenset(kinds.PROCESS_ROLES)
CONTENT = frozenset(kinds.CONTENT_ROLES)


def role_name(x: float, y: float, name: str, width: float) -> str:
    """A role card's name in its header band: smaller before it is cut (as the browser)."""
    lines, size = fit_text(name, width, 16, 12, bold=True)
    return text(x, y, lines[0], size=size, bold=True, fill="#fff")


def draw_role_card(el: Element, lang: str = "en") -> str:
    x, y = num(el, "x"), num(el, "y")
    w, h = SIZES["role_card"]
    role = clean(el.get("role"))
    tint = ("#2563eb" if role in PROCESS else "#16a34a" if role in CONTENT
            else "#d97706" if role == "pen_holder" else "#7c3aed")
    title = clean(el.get("title")).strip()
    name = ((title or i18n.t(lang, "render.custom_role")) if role == "custom"
            else i18n.label(lang, "role", role))
    holder = clean(el.get("holder")).strip()
    table = clean(el.get("table")).strip()
    extra = " · ".join(p for p in (title if role != "custom" else "",
                                   i18n.label(lang, "acquired", el.get("acquired"))) if p)
    out = [
        f'<rect x="{f(x)}" y="{f(y)}" width="{w}" height="{h}" rx="8" fill="#fff" '
        f'stroke="{tint}" stroke-width="2"/>',
        f'<path d="M{f(x)},{f(y + 28)} V{f(y + 8)} Q{f(x)},{f(y)} {f(x + 8)},{f(y)} '
        f'H{f(x + w - 8)} Q{f(x + w)},{f(y)} {f(x + w)},{f(y + 8)} V{f(y + 28)} Z" '
        f'fill="{tint}"/>',
        role_name(x + 10, y + 19, name, w - 20),
        text(x + 10, y + 50, fit(holder or i18n.t(lang, "render.no_holder"), w - 20, 14,
                                 bold=bool(holder)),
             size=14, bold=bool(holder), fill="#111827" if holder else "#9ca3af"),
        text(x + 10, y + 72, fit(i18n.t(lang, "render.at_table", table=table) if table
                                 else i18n.t(lang, "render.this_table"), w - 20, 12),
             size=12, fill="#374151"),
    ]
    if extra:
        out.append(text(x + 10, y + 96, fit(extra, w - 20, 11), size=11, fill="#6b7280",
                        extra=' font-style="italic"'))
    return "".join(out)


def draw_ritual(el: Element, lang: str = "en") -> str:
    x, y = num(el, "x"), num(el, "y")
    w, h = SIZES["ritual"]
    out = [
        f'<rect x="{f(x)}" y="{f(y)}" width="{w}" height="{h}" rx="10" fill="#fff7ed" '
        'stroke="#d97706" stroke-width="2"/>',
        text(x + 12, y + 20, i18n.t(lang, "render.ritual"), size=13, bold=True, fill="#9a3412"),
    ]
    when = clean(el.get("when")).strip()
    if when:
        out.append(text(x + w - 12, y + 20, fit(when, w - 90, 11), size=11, anchor="end",
                        fill="#9a3412"))
    top = y + 44
    for key in ("moment", "focus", "symbol"):
        caption = i18n.t(lang, f"render.{key}")
        value = " ".join(clean(el.get(key)).split())
        lines = wrap(f"{caption}: {value}", w - 24, 12, 2)
        rest = lines[0][len(caption) + 1:] if lines and lines[0].startswith(caption + ":") else ""
        out.append(f'<text x="{f(x + 12)}" y="{f(top)}" font-size="12" fill="#1f2937">'
                   f'<tspan font-weight="bold">{esc(caption)}:</tspan>{esc(rest)}</text>')
        if len(lines) > 1:
            out.append(text(x + 12, top + 15, lines[1], size=12))
        top += 34
    return "".join(out)


def draw_stroke(el: Element) -> str:
    pts = points(el)
    tint = color(el.get("color"), "#111827")
    width = max(0.5, num(el, "width", 3))
    if len(pts) == 1:
        x, y = pts[0]
        return f'<circle cx="{f(x)}" cy="{f(y)}" r="{f(width / 2)}" fill={attr(tint)}/>'
    coords = " ".join(f"{f(px)},{f(py)}" for px, py in pts)
    return (f'<polyline points="{coords}" fill="none" stroke={attr(tint)} '
            f'stroke-width="{f(width)}" stroke-linecap="round" stroke-linejoin="round"/>')


def draw_text(el: Element) -> str:
    size = max(1.0, num(el, "size", TEXT_SIZE))
    return lines_text(num(el, "x"), num(el, "y") + size, text_lines(el), size)
