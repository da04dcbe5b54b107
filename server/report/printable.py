"""The Atelier report as one standalone HTML file (pure except for reading this
project's own catalogs and print CSS).

``tussentafel report`` writes it when there is no Chromium to print the report
page (``canvas_client/web/report.js``) to PDF: the same sections, words
(``canvas_client/web/locales``) and print CSS, with each snapshot's SVG
inline, so the file opens and prints anywhere without the server.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

WEB = Path(__file__).resolve().parents[2] / "canvas_client" / "web"
GRADES = ("fragmented", "aligned", "coordinated", "integrated")
_MOVES = frozenset({"x", "y", "z", "parent"})


@cache
def catalog(lang: str) -> dict[str, str]:
    """The page's words in ``lang`` (English where a key is missing)."""
    base: dict[str, str] = json.loads((WEB / "locales" / "en.json").read_text("utf-8"))
    path = WEB / "locales" / f"{lang}.json"
    if lang != "en" and path.is_file():
        base = {**base, **json.loads(path.read_text("utf-8"))}
    return base


class _Words:
    def __init__(self, lang: str) -> None:
        self.words = catalog(lang)

    def __call__(self, key: str, fallback: str | None = None, **fill: Any) -> str:
        text = self.words.get(key, key if fallback is None else fallback)
        for name, value in fill.items():
            text = text.replace("{" + name + "}", str(value))
        return escape(text)


def _when(ms: Any) -> str:
    if not isinstance(ms, int):
        return ""
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _list(title: str, items: list[str], t: _Words) -> str:
    body = ("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>") if items else (
        f'<p class="muted">{t("report.none")}</p>')
    return f'<div class="block"><h4>{title}</h4>{body}</div>'


def _grades(grades: Mapping[str, Any], name: Any, t: _Words) -> str:
    out = []
    for sid, g in grades.items():
        head = "".join(f"<th>{t('grade.' + k, k)}</th>" for k in GRADES)
        rows = "".join(
            f"<tr><th>{t('report.' + word)}</th>"
            + "".join(f'<td class="n">{g.get(aspect, {}).get(k, 0)}</td>' for k in GRADES)
            + f'<td class="n">{g.get("spread", {}).get(aspect, 0)}</td></tr>'
            for aspect, word in (("current", "now"), ("ambition", "ambition"))
        )
        out.append(f"<table><caption>{escape(name(sid))}</caption><tr><th></th>{head}"
                   f"<th>{t('report.spread')}</th></tr>{rows}</table>")
    return f'<div class="block"><h4>{t("report.grades")}</h4>{"".join(out)}</div>' if out else ""


def render(report: Mapping[str, Any], svgs: Mapping[str, str], lang: str = "nl") -> str:
    """The report (``server.report.atelier.report``) with ``svgs`` (snapshot id -> SVG text)."""
    t = _Words(lang)
    people = {p["id"]: p for p in report["participants"]}

    def who(pid: str) -> str:
        if pid == "system":
            return t("report.template")
        return escape(people.get(pid, {}).get("name") or "") or t("report.someone")

    def kind(k: str) -> str:
        return t(f"kind.{k}", k)

    parts = [
        f'<header class="cover"><p class="kicker">{t("report.kicker")}</p>',
        f'<h1 id="report-title">{escape(report["title"])}</h1>',
        f'<p class="muted">{" · ".join(escape(d) for d in report["dates"])}</p>',
        f'<h3>{t("report.participants")}</h3><ul class="people">',
        *(f'<li><span class="swatch" style="background:{escape(p["color"] or "#999")}"></span>'
          f'{escape(p["name"]) or t("report.someone")}</li>' for p in report["participants"]),
        "</ul></header>",
    ]
    for index, snap in enumerate(report["snapshots"], 1):
        labels = snap["labels"]

        def name(eid: str, labels: Mapping[str, str] = labels) -> str:
            return labels.get(eid, eid)

        ins, terr = snap["insights"], snap["insights"]["territory"]
        parts += [
            f'<section class="snapshot"><div class="snapshot-head"><h2>{index}. '
            f'{escape(snap["label"])}</h2><span class="muted">{_when(snap["created_at"])}</span>'
            f'</div><figure>{svgs.get(snap["snapshot"], "")}</figure>',
            f'<div class="block"><h3>{t("report.insights")}</h3><div class="cols">',
            _list(t("report.overlaps"), [t("report.overlap", a=name(a), b=name(b))
                                         for a, b in terr["overlaps"]], t),
            _list(t("report.missing"), [escape(name(e)) for e in ins["missing"]], t),
            _list(t("report.outside"), [escape(name(e)) for e in terr["outside"]], t),
            _list(t("report.without_domain"), [escape(n) for n in terr["without_domain"]], t),
            "</div></div>",
            _grades(ins["grades"], name, t),
            _list(t("report.roles"), [t(f"rule.{r['rule']}", r["rule"]) + escape(
                (f" — {r['holder']}" if r["holder"] else "") + (f" ({r['table']})" if r["table"]
                                                              else "")) for r in ins["roles"]], t),
        ]
        change = snap["changes"]
        if change:
            def line(item: Mapping[str, Any]) -> str:
                words = f"“{escape(item['text'])}” " if item["text"] else ""
                author = who(item["author"])
                return f'<span class="kind">{kind(item["kind"])}</span>{words}— {author}'

            changed = []
            for item in change["changed"]:
                if item["kind"] == "grade_vote":
                    continue
                fields = [f for f in item["fields"] if f not in _MOVES]
                what = ", ".join(t(f"field.{f}", f) for f in fields) or t("report.moved")
                changed.append(f'<span class="kind">{kind(item["kind"])}</span>'
                               f'{escape(item["text"] or name(item["id"]))}: {what}'
                               f' — {who(item["author"])}')
            parts += [
                f'<div class="changes"><h3>{t("report.changes")}</h3>',
                _list(t("report.added"), [line(a) for a in change["added"]
                                          if a["kind"] != "grade_vote"], t),
                _list(t("report.removed"), [line(r) for r in change["removed"]
                                            if r["kind"] != "grade_vote"], t),
                _list(t("report.changed"), changed, t),
                _list(t("report.grade_moves"), [
                    f"{who(g['voter'])} ({t('report.' + g['kind'])}): "
                    f"{t('grade.' + str(g['from']), '—') if g['from'] else '—'} → "
                    f"{t('grade.' + str(g['to']), '—') if g['to'] else '—'}"
                    for g in change["grades"]], t),
                "</div>",
            ]
        parts.append("</section>")
    parts.append(f'<section class="agreements" id="agreements"><h2>{t("report.agreements")}</h2>'
                 f'<p class="muted">{t("report.agreements_hint")}</p>')
    parts += [f'<p class="agreement"><small>{t("topic." + (a["topic"] or "none"), a["topic"])}'
              f"</small><br>{escape(a['text'])}</p>" for a in report["agreements"]] or [
        f'<p class="muted">{t("report.no_agreements")}</p>']
    parts.append("</section>")
    if report["topics"]:
        parts.append(f'<section class="topics"><h2>{t("report.topics")}</h2>')
        for topic in report["topics"]:
            heads = "".join(f"<th>{escape(r['label'])}</th>" for r in topic["rounds"])
            cells = "".join(
                "<td>" + ("".join(f'<div class="note">{escape(n["text"])}<small>{who(n["author"])}'
                                  "</small></div>" for n in r["notes"]) or "—") + "</td>"
                for r in topic["rounds"])
            parts.append(f"<h3>{t('topic.' + topic['topic'], topic['topic'])}</h3>"
                         f"<table><tr>{heads}</tr><tr>{cells}</tr></table>")
        parts.append("</section>")
    css = (WEB / "report.css").read_text("utf-8")
    return (f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
            f"<title>{escape(report['title'])} — {t('report.kicker')}</title>"
            f"<style>{css}</style></head><body class=\"report-page\"><main>"
            + "".join(parts) + "</main></body></html>")
