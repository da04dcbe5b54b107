"""TTTR analysis of a board state (pure: no I/O).

``insights(elements, participants)`` returns (docs/protocol.md §5 "Insights")::

    {
      "territory": {
        "overlaps": [[domain_id, domain_id], ...],  # circles that intersect
        "outside": [domain_id, ...],                # not wholly inside any table
        "without_domain": [name, ...],              # joined people owning no domain
      },
      "grades": {
        scale_id: {
          "current":  {"fragmented": n, "aligned": n, "coordinated": n, "integrated": n},
          "ambition": {...same four grades...},
          "spread":   {"current": k, "ambition": k},
        }, ...
      },
      "roles": [{"rule": str, "holder": str, "table": str, "cards": [card_id, ...]}, ...],
      "time": [{"milestones": [milestone_id, milestone_id], "days": n}, ...],
    }

Territory: two domains overlap when the distance of their centres is less than
the sum of their radii; a domain is inside a table when distance + r_domain <=
r_table. ``without_domain`` names participants whose role is ``participant``
(facilitators lead the exercise, viewers are screens) and who own no domain
(``owner`` equals their name, trimmed, case-insensitively); each name once, sorted.

A template's examples are left out: elements the server put on the board from a
template (id ``tpl-…``, author ``system``) of the kinds people make in the
exercises (domains, role cards, milestones, grade markers). The template's tables,
scales and lanes stay: they are where people put theirs.

Grades: every ``grade_scale`` and every scale id a ``grade_vote`` names gets all
four grades per aspect (0 when unvoted). Spread = index of the highest grade
voted minus index of the lowest (fragmented 0 .. integrated 3), 0 without votes.

Roles: role cards are grouped by ``table`` (trimmed, case-insensitive; a card
without a table belongs to table ``""``, this board's own table). Holders match
trimmed and case-insensitively and are reported as first written (by
``created``, then board order). Rules, in this order in the list:

- ``process_and_content``: one holder has a process role (chair,
  process_facilitator, process_manager, external_facilitator) and a content role
  (content_representative, expert) at one table; ``cards`` are those cards.
- ``no_pen_holder``: a table with role cards but no ``pen_holder`` card
  (``holder`` is ``""``, ``cards`` are the table's cards).
- ``no_process_role``: a table with role cards but none with a process role.
- ``double_position``: a holder with cards at several tables (``table`` is
  ``""``, ``cards`` are all their cards).

Time: milestones on different lanes whose dates are at most 7 days apart,
each pair once as ``[smaller id, larger id]``, sorted by ids. Invalid dates are
ignored. All lists are sorted so the same board always gives the same answer.

Bounded work: pair lists hold at most ``max_pairs`` pairs each, and the pair
and containment tests of one analysis stop after ``max_checks`` in all; then
``"truncated": true`` says that a list may be incomplete (the key is absent
otherwise). 1 500 identical circles (1.1 M overlapping pairs) cost at most
``max_pairs`` pairs and ``max_checks`` tests, whatever the board.
``summary()`` cuts the lists to their first few and adds their full counts
(the ``insights`` event; the whole answer stays on ``GET .../insights``).
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from schemas import kinds as schema

Element = dict[str, Any]

GRADES: tuple[str, ...] = schema.GRADES
ASPECTS: tuple[str, ...] = schema.ASPECTS
PROCESS_ROLES = frozenset(schema.PROCESS_ROLES)
CONTENT_ROLES = frozenset(schema.CONTENT_ROLES)
RULES = ("process_and_content", "no_pen_holder", "no_process_role", "double_position")
PEOPLE_ROLES = frozenset({"participant"})
#: Kinds of which a template's elements are examples, not anyone's answer.
EXAMPLE_KINDS = frozenset({"domain", "role_card", "milestone", "grade_vote"})
TEMPLATE_AUTHOR = "system"
NEAR_DAYS = 7
MAX_PAIRS = 10_000
MAX_CHECKS = 1_000_000
SUMMARY = 50


class _Work:
    """The budget of one analysis: pairs per list and tests in all."""

    def __init__(self, max_pairs: int, max_checks: int) -> None:
        self.max_pairs = max_pairs
        self.checks = max_checks
        self.truncated = False

    def check(self, count: int = 1) -> bool:
        """Spend ``count`` tests; False (and truncated) when none are left."""
        if self.checks < count:
            self.truncated = True
            return False
        self.checks -= count
        return True

    def room_for(self, pairs: list[Any]) -> bool:
        if len(pairs) >= self.max_pairs:
            self.truncated = True
            return False
        return True


def insights(
    elements: list[dict[str, Any]],
    participants: list[dict[str, Any]],
    *,
    max_pairs: int = MAX_PAIRS,
    max_checks: int = MAX_CHECKS,
) -> dict[str, Any]:
    """The TTTR analysis of ``elements`` (see the module docstring for the shape)."""
    work = _Work(max_pairs, max_checks)
    els = [el for el in elements
           if isinstance(el, dict) and isinstance(el.get("id"), str) and not example(el)]
    by_kind: dict[str, list[Element]] = defaultdict(list)
    for el in _written_order(els):
        by_kind[str(el.get("kind"))].append(el)
    result = {
        "territory": _territory(by_kind["domain"], by_kind["table"], participants, work),
        "grades": _grades(by_kind["grade_scale"], by_kind["grade_vote"]),
        "roles": _roles(by_kind["role_card"]),
        "time": _time(by_kind["milestone"], work),
    }
    if work.truncated:
        result["truncated"] = True
    return result


def summary(result: dict[str, Any], first: int = SUMMARY) -> dict[str, Any]:
    """``result`` with each list cut to its ``first`` items, their full
    lengths in ``counts``, and ``truncated`` also true when a list was cut."""
    territory = result["territory"]
    lists = {
        "overlaps": territory["overlaps"], "outside": territory["outside"],
        "without_domain": territory["without_domain"], "roles": result["roles"],
        "time": result["time"],
    }
    cut = any(len(items) > first for items in lists.values())
    return {
        "territory": {name: territory[name][:first] for name in territory},
        "grades": result["grades"],
        "roles": result["roles"][:first],
        "time": result["time"][:first],
        "counts": {name: len(items) for name, items in lists.items()},
        "truncated": bool(result.get("truncated")) or cut,
    }


def example(el: Element) -> bool:
    """Is ``el`` one of a template's examples (see the module docstring)?"""
    return (el.get("kind") in EXAMPLE_KINDS and el.get("author") == TEMPLATE_AUTHOR
            and str(el.get("id")).startswith("tpl-"))


def _written_order(els: list[Element]) -> list[Element]:
    def created(el: Element) -> float:
        value = _number(el.get("created"))
        return 0.0 if value is None else value

    return sorted(els, key=created)  # stable: ties keep the board's order


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _circle(el: Element) -> tuple[float, float, float] | None:
    x, y, r = _number(el.get("x")), _number(el.get("y")), _number(el.get("r"))
    if x is None or y is None or r is None or r < 0:
        return None
    return x, y, r


def _key(value: Any) -> str:
    """Trimmed, case-insensitive form of a free-text name."""
    return value.strip().casefold() if isinstance(value, str) else ""


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# -- territory -----------------------------------------------------------------


def _territory(
    domains: list[Element], tables: list[Element], participants: Iterable[Any], work: _Work
) -> dict[str, list[Any]]:
    circles = [(el["id"], c) for el in domains if (c := _circle(el)) is not None]
    table_circles = [c for el in tables if (c := _circle(el)) is not None]
    return {
        "overlaps": _overlaps(circles, work),
        "outside": _outside(circles, table_circles, work),
        "without_domain": _without_domain(domains, participants),
    }


def _outside(
    circles: list[tuple[str, tuple[float, float, float]]],
    tables: list[tuple[float, float, float]],
    work: _Work,
) -> list[str]:
    outside: list[str] = []
    for eid, (x, y, r) in circles:
        if not work.check(len(tables)):
            break
        if not any(math.hypot(x - tx, y - ty) + r <= tr for tx, ty, tr in tables):
            outside.append(eid)
    return sorted(outside)


def _overlaps(
    circles: list[tuple[str, tuple[float, float, float]]], work: _Work
) -> list[list[str]]:
    """Intersecting pairs, by a sweep over x (boards may hold many circles)."""
    ordered = sorted(circles, key=lambda item: item[1][0] - item[1][2])
    pairs: list[list[str]] = []
    left, hypot = work.checks, math.hypot
    for i, (a, (ax, ay, ar)) in enumerate(ordered):
        reach = ax + ar
        for b, (bx, by, br) in ordered[i + 1:]:
            if bx - br >= reach:
                break
            left -= 1
            if left < 0 or len(pairs) >= work.max_pairs:
                work.checks, work.truncated = 0, True
                return sorted(pairs)
            if hypot(ax - bx, ay - by) < ar + br:
                pairs.append(sorted((a, b)))
    work.checks = left
    return sorted(pairs)


def _without_domain(domains: list[Element], participants: Iterable[Any]) -> list[str]:
    owners = {_key(el.get("owner")) for el in domains} - {""}
    names: dict[str, str] = {}
    for person in participants:
        if not isinstance(person, dict) or person.get("role") not in PEOPLE_ROLES:
            continue
        name = _text(person.get("name"))
        if name and _key(name) not in owners:
            names.setdefault(_key(name), name)
    return sorted(names.values(), key=lambda name: (name.casefold(), name))


# -- grades --------------------------------------------------------------------


def _grades(scales: list[Element], votes: list[Element]) -> dict[str, dict[str, Any]]:
    counts: dict[str, dict[str, dict[str, int]]] = {}

    def scale(sid: str) -> dict[str, dict[str, int]]:
        return counts.setdefault(sid, {aspect: dict.fromkeys(GRADES, 0) for aspect in ASPECTS})

    for el in scales:
        scale(el["id"])
    for el in votes:
        sid, grade, aspect = el.get("scale"), el.get("grade"), el.get("aspect")
        if isinstance(sid, str) and sid and grade in GRADES and aspect in ASPECTS:
            scale(sid)[aspect][grade] += 1
    return {
        sid: {**per, "spread": {aspect: _spread(per[aspect]) for aspect in ASPECTS}}
        for sid, per in sorted(counts.items())
    }


def _spread(count: dict[str, int]) -> int:
    voted = [i for i, grade in enumerate(GRADES) if count[grade] > 0]
    return voted[-1] - voted[0] if voted else 0


# -- roles ---------------------------------------------------------------------


def _roles(cards: list[Element]) -> list[dict[str, Any]]:
    tables: dict[str, list[Element]] = defaultdict(list)
    table_name: dict[str, str] = {}
    holders: dict[str, list[Element]] = defaultdict(list)
    holder_name: dict[str, str] = {}
    for card in cards:
        table = _key(card.get("table"))
        tables[table].append(card)
        table_name.setdefault(table, _text(card.get("table")))
        holder = _key(card.get("holder"))
        if holder:
            holders[holder].append(card)
            holder_name.setdefault(holder, _text(card.get("holder")))

    found: list[dict[str, Any]] = []

    def warn(rule: str, holder: str, table: str, hits: Iterable[Element]) -> None:
        ids = sorted({card["id"] for card in hits})
        found.append({"rule": rule, "holder": holder, "table": table, "cards": ids})

    seated: dict[str, dict[str, list[Element]]] = defaultdict(dict)  # table -> holder -> cards
    for holder, theirs in holders.items():
        for card in theirs:
            seated[_key(card.get("table"))].setdefault(holder, []).append(card)
    for table, at_table in tables.items():
        roles = [card.get("role") for card in at_table]
        for holder, mine in seated[table].items():
            process = [card for card in mine if card.get("role") in PROCESS_ROLES]
            content = [card for card in mine if card.get("role") in CONTENT_ROLES]
            if process and content:
                warn("process_and_content", holder_name[holder], table_name[table],
                     process + content)
        if "pen_holder" not in roles:
            warn("no_pen_holder", "", table_name[table], at_table)
        if not PROCESS_ROLES.intersection(r for r in roles if isinstance(r, str)):
            warn("no_process_role", "", table_name[table], at_table)
    for holder, theirs in holders.items():
        if len({_key(card.get("table")) for card in theirs}) > 1:
            warn("double_position", holder_name[holder], "", theirs)
    return sorted(found, key=lambda w: (RULES.index(w["rule"]), w["table"].casefold(),
                                        w["holder"].casefold(), w["cards"]))


# -- time ----------------------------------------------------------------------


def _time(milestones: list[Element], work: _Work) -> list[dict[str, Any]]:
    dated: list[tuple[datetime.date, str, str]] = []
    for el in milestones:
        when, lane = _date(el.get("date")), el.get("lane")
        if when is not None and isinstance(lane, str):
            dated.append((when, lane, el["id"]))
    dated.sort()
    near: list[dict[str, Any]] = []
    for i, (when, lane, eid) in enumerate(dated):
        for other_when, other_lane, other in dated[i + 1:]:
            days = (other_when - when).days
            if days > NEAR_DAYS:
                break
            if not work.check() or not work.room_for(near):
                return sorted(near, key=lambda item: item["milestones"])
            if other_lane != lane:
                near.append({"milestones": sorted((eid, other)), "days": days})
    return sorted(near, key=lambda item: item["milestones"])


def _date(value: Any) -> datetime.date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None
