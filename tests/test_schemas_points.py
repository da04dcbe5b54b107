"""The quick check of stroke points gives pydantic's answer (schemas/elements.py)."""

from __future__ import annotations

import random
from typing import Any

from pydantic import ValidationError

from schemas.elements import ElementError, Stroke, _describe, check_element

BASE = {"id": "s", "kind": "stroke", "x": 0, "y": 0, "z": "a", "color": "#000", "width": 1}
VALUES: list[Any] = [0, 1, -1, 1.5, 1e6, -1e6, 1e6 + 1, -1e6 - 0.5, 10**6 + 1, -(10**6) - 1,
                     True, False, None, "a", float("nan"), float("inf"), -float("inf"), 2**60,
                     -(2**60), 10**400, [], {}]


def _pydantic(el: dict[str, Any]) -> str | None:
    try:
        Stroke.model_validate(el)
    except ValidationError as exc:
        return _describe(exc)
    return None


def _ours(el: dict[str, Any]) -> str | None:
    try:
        check_element(el)
    except ElementError as exc:
        return str(exc)
    return None


def test_the_quick_points_check_answers_as_pydantic_does() -> None:
    rng = random.Random(12)
    for _ in range(3000):
        el: dict[str, Any] = dict(BASE, points=[rng.choice(VALUES)
                                                for _ in range(rng.choice([1, 2, 3, 4, 6]))])
        if rng.random() < 0.3:
            el["x"] = rng.choice(["a", float("nan"), 5, None])
        if rng.random() < 0.3:
            el["width"] = rng.choice(["a", -1, 5])
        if rng.random() < 0.2:
            el["extra"] = 1
        if rng.random() < 0.1:
            del el["color"]
        assert _ours(el) == _pydantic(el), el
    for count in (10_000, 10_001, 10_002):
        el = dict(BASE, points=[0.5] * count)
        assert _ours(el) == _pydantic(el)
