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
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from schemas import kinds
from server.core import i18n

Element = dict[str, Any]
Box = tuple[float, float, float, float]  # x, y, w, h

FONT = "'DejaVu Sans', Arial, Helvetica, sans-serif"
CHAR_W = 0.54  # average glyph width in em (DejaVu Sans measured ~0.50, bold ~0.57)
BOLD_W = 0.62

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


def fit(text: Any, width: float, size: float, *, bold: bool = False) -> str:
    """One line of ``text`` cut to ``width`` with an ellipsis (unescaped)."""
    line = " ".join(clean(text).split())
    room = max(1, int(width / (size * (BOLD_W if bold else CHAR_W))))
    return line if len(line) <= room else line[: max(0, room - 1)].rstrip() + "…"


def wrap(text: Any, width: float, size: float, max_lines: int) -> list[str]:
    """Word-wrap to ``width`` (approximate glyph width), at most ``max_lines``;
    a cut last line ends in an ellipsis. Long words are broken."""
    if max_lines <= 0:
        return []
    room = max(1, int(width / (size * CHAR_W)))
    lines: list[str] = []
    for paragraph in clean(text).split("\n"):
        line = ""
        for word in paragraph.split():
            while len(word) > room:
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
    while lines and not lines[-1] and len(lines) > 1:
        lines.pop()
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1][: max(0, room - 1)].rstrip()
        lines[-1] = last + "…"
    return lines


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


def lines_text(x: float, y: float, lines: list[str], size: float, *, extra: str = "") -> str:
    spans = "".join(
        f'<tspan x="{f(x)}" y="{f(y + i * size * 1.3)}">{esc(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text font-size="{f(size)}" fill="#1f2937"{extra}>{spans}</text>'


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
    if not isinstance(raw, list):
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
    size = max(10.0, min(26.0, r / 8))
    # the label sits as high as its width allows: where the circle's chord holds it
    want = len(clean(el.get("label")).strip()) * size * BOLD_W / 2 + 12
    depth = r - math.sqrt(r * r - min(want, r * 0.9) ** 2) + size * 1.1
    depth = min(max(depth, size * 2.2), r * 0.5)
    chord = 2 * math.sqrt(max(0.0, r * r - (r - depth + size) ** 2)) - 24
    label = fit(el.get("label"), chord, size, bold=True)
    return (
        f'<circle cx="{f(x)}" cy="{f(y)}" r="{f(r)}" fill="#fffbeb" stroke="#92400e" '
        'stroke-width="4"/>'
        + text(x, y - r + depth, label, size=size, bold=True, anchor="middle", fill="#78350f")
    )


def draw_domain(el: Element) -> str:
    x, y, r = num(el, "x"), num(el, "y"), max(0.0, num(el, "r"))
    owner = clean(el.get("owner")).strip()
    tint = color(el.get("color"), pick(owner or clean(el.get("label"))))
    width = max(40.0, r * 1.6)
    label = wrap(el.get("label"), width, 14, 2)
    top = y - (len(label) - 1) * 9 - (8 if owner else 0) + 5
    out = [
        f'<circle cx="{f(x)}" cy="{f(y)}" r="{f(r)}" fill={attr(tint)} fill-opacity="0.22" '
        f"stroke={attr(tint)} stroke-width=\"2.5\"/>",
        lines_text(x, top, label, 14, extra=' font-weight="bold" text-anchor="middle"'),
    ]
    sub = " · ".join(part for part in (owner, clean(el.get("home")).strip()) if part)
    if sub:
        out.append(text(x, top + len(label) * 18, fit(sub, width, 12), size=12,
                        anchor="middle", fill="#374151"))
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
    room = x + w - 8 - left
    mid = left + room / 2
    owner = clean(el.get("owner")).strip()
    base = y + (22 if owner else 29) + (3 if node == "manager" else 0)
    out.append(text(mid, base, fit(el.get("label"), room, 13, bold=True), size=13, bold=True,
                    anchor="middle"))
    if owner:
        out.append(text(mid, base + 15, fit(owner, room, 10), size=10, anchor="middle",
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
    size, pad = 14.0, 10.0
    foot = 16.0 if topic else 0.0
    dash = ' stroke-dasharray="6 4"' if el.get("private") is True else ""
    clipping = f" clip-path={attr(f'url(#{clip})')}"
    rows = int((h - 2 * pad - foot + 4) // (size * 1.3))
    lines = wrap(el.get("text"), w - 2 * pad - 8, size, rows)
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
        text(x + 9, y + 19, fit(name, w - 16, 12, bold=True), size=12, bold=True, fill="#fff"),
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
