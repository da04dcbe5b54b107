"""The catalogs (canvas_client/web/locales), server/core/i18n.py, and a scan of the
pages' sources for user-visible text that does not come from a catalog."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from server.core import i18n
from tests.conftest import ROOT

WEB = ROOT / "canvas_client" / "web"
LOCALES = WEB / "locales"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((LOCALES / f"{lang}.json").read_text("utf-8"))
    return data


# -- the catalogs ------------------------------------------------------------------


def test_there_is_a_catalog_for_each_language_and_no_other() -> None:
    assert sorted(p.stem for p in LOCALES.glob("*.json")) == sorted(i18n.LANGS)


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_catalog_has_every_key_of_every_other(lang: str) -> None:
    mine = set(load(lang))
    for other in i18n.LANGS:
        missing = set(load(other)) - mine
        assert not missing, f"{lang}.json lacks {sorted(missing)} (in {other}.json)"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_messages_are_non_empty_strings_with_the_same_placeholders(lang: str) -> None:
    en = load("en")
    for key, text in load(lang).items():
        assert isinstance(text, str) and text.strip(), key
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(en[key])), key


def test_the_dutch_catalog_uses_the_methods_words() -> None:
    nl = load("nl")
    assert [nl[f"enum.grade.{g}"] for g in ("fragmented", "aligned", "coordinated",
                                            "integrated")] == [
        "Gefragmenteerd", "Uitgelijnd", "Gecoördineerd", "Geïntegreerd"]
    assert [nl[f"enum.exercise.{e}"] for e in ("task", "time", "territory", "role")] == [
        "Taak", "Tijd", "Territorium", "Rol"]
    assert nl["enum.role.pen_holder"] == "Penvoerder"
    assert nl["enum.role.process_facilitator"] == "Procesbegeleider"
    assert nl["enum.role.content_representative"] == "Inhoudelijk vertegenwoordiger"
    assert nl["enum.role.connector"] == "Verbinder"
    assert nl["enum.topic.why_here"] == "Waarom zit ik hier?"
    assert nl["enum.topic.collective_task"] == "Gezamenlijke opgave"


# -- server/core/i18n.py --------------------------------------------------------------


def test_t_fills_placeholders_and_falls_back_to_english_then_the_key() -> None:
    assert i18n.t("nl", "render.at_table", table="Hofplein") == "aan Hofplein"
    assert i18n.t("en", "render.at_table", table="Hofplein") == "at Hofplein"
    assert i18n.t("de", "render.now") == "now"  # unknown language: English
    assert i18n.t("nl", "no.such.key") == "no.such.key"
    assert i18n.t("nl", "render.at_table") == "aan {table}"  # a missing value stays visible


def test_label_names_enum_values_and_humanises_unknown_ones() -> None:
    assert i18n.label("nl", "grade", "coordinated") == "Gecoördineerd"
    assert i18n.label("en", "rel", "reports_to") == "Reports to"
    assert i18n.label("nl", "role", "made_up_role") == "Made up role"
    assert i18n.label("nl", "role", None) == "" and i18n.label("nl", "role", "") == ""


@pytest.mark.parametrize("header,lang", [
    (None, "en"), ("", "en"), ("nl", "nl"), ("nl-NL,nl;q=0.9,en;q=0.8", "nl"),
    ("en-GB,en;q=0.9,nl;q=0.8", "en"), ("de-DE,de;q=0.9,nl;q=0.5", "nl"),
    ("de,fr", "en"), ("en;q=0.2, nl;q=0.7", "nl"), ("NL-be", "nl"), ("*", "en"),
    ("nl;q=abc", "en"), ("nl;q=0", "en"), ("x" * 5000, "en"), (";;;,,,", "en"),
])
def test_accept_language_picks_the_best_supported_language(header: str | None,
                                                           lang: str) -> None:
    assert i18n.from_accept_language(header) == lang


def test_days_are_written_in_the_boards_locale() -> None:
    assert i18n.format_day("nl", "2027-03-12") == "12 mrt 2027"
    assert i18n.format_day("en", "2027-03-12") == "12 Mar 2027"
    assert i18n.format_day("nl", "2027-05-01") == "1 mei 2027"
    assert i18n.format_day("nl", "soon") == "soon" and i18n.format_day("nl", 5) == ""


# -- the pages' sources: no user-visible text outside the catalogs ----------------------

#: Literals that look like prose but are not shown to people (key names, close reasons).
ALLOWED = {"Escape", "Enter", "Delete", "Backspace", "Space", "Ctrl", "Ctrl Z", "Esc",
           "Bearer {}"}
#: The first argument of t() is a catalog key, of label() an enum group.
KEY_CALL = re.compile(r"\bt\(\s*$")
GROUP_CALL = re.compile(r"\b(?:label|enumLabel)\(\s*$")
#: Literals that are code, not text: class lists, and reasons for programmers
#: (errors thrown, console lines, close reasons); what a person sees of a
#: failed command is humanError(code), from the catalogs.
CODE_CONTEXT = re.compile(
    r"(?:\b(?:class|cls|className)\s*[:=]|classList\.\w+\(|new \w*(?:Error|Gap)\(|"
    r"console\.\w+\(|_failCommands\(|_drop\(\d+,|CommandError\('\w+',)\s*$"
)


class Literal:
    def __init__(self, text: str, line: int, before: str) -> None:
        self.text, self.line, self.before = text, line, before


def js_literals(src: str) -> list[Literal]:
    """String and template literals outside comments and regexes; a template's
    ``${...}`` parts become ``{}`` (their own literals are listed too)."""
    out: list[Literal] = []
    i, n = 0, len(src)
    last = ""  # the last significant character, to tell a regex from a division

    def line(at: int) -> int:
        return src.count("\n", 0, at) + 1

    def read_quoted(at: int, quote: str) -> int:
        j = at + 1
        while j < n and src[j] != quote:
            j += 2 if src[j] == "\\" else 1
        out.append(Literal(src[at + 1:j], line(at), src[max(0, at - 40):at]))
        return j + 1

    def read_template(at: int) -> int:
        j, text = at + 1, []
        while j < n and src[j] != "`":
            if src[j] == "\\":
                text.append(src[j:j + 2])
                j += 2
            elif src.startswith("${", j):
                depth, k = 1, j + 2
                while k < n and depth:
                    if src[k] in "'\"":
                        k = read_quoted(k, src[k])
                        continue
                    if src[k] == "`":
                        k = read_template(k)
                        continue
                    depth += {"{": 1, "}": -1}.get(src[k], 0)
                    k += 1
                text.append("{}")
                j = k
            else:
                text.append(src[j])
                j += 1
        out.append(Literal("".join(text), line(at), src[max(0, at - 40):at]))
        return j + 1

    while i < n:
        c = src[i]
        if src.startswith("//", i):
            i = src.find("\n", i)
            i = n if i < 0 else i
        elif src.startswith("/*", i):
            i = src.find("*/", i) + 2
        elif c in "'\"":
            i = read_quoted(i, c)
            last = c
        elif c == "`":
            i = read_template(i)
            last = c
        elif c == "/" and (last in "(,=:[!&|?{};+-*%<>~^" or last == ""):
            j, klass = i + 1, False  # a regex literal
            while j < n and (src[j] != "/" or klass):
                if src[j] == "\\":
                    j += 1
                elif src[j] == "[":
                    klass = True
                elif src[j] == "]":
                    klass = False
                j += 1
            i = j + 1
            last = "/"
        else:
            if not c.isspace():
                last = c
            i += 1
    return out


def looks_like_prose(text: str) -> bool:
    if text.strip() in ALLOWED or not re.search(r"[A-Za-z]{2}", text):
        return False
    if re.match(r"\s*[A-Z][a-z]+\b", text):  # "Copy", "Select the link..."
        return True
    if re.search(r"[a-z]{2,} [a-z]{2,}|(?<![}\w])[a-z]{2,} \{\}|\{\} [a-z]{2,}", text):
        return True  # "notes revealed", "at {}", "{} online"
    selector_list = all(" " not in part.strip() for part in text.split(","))
    return not selector_list and bool(re.search(r"[a-z]{2}[,.?!…:;] [a-z]|[a-z]{2}[.?!…]$", text))


def test_the_scan_finds_text_outside_the_catalogs() -> None:
    found = [lit.text for lit in js_literals(
        "// 'Not this'\nconst a = 'Copy';\nconst b = `${n} notes revealed`;\n"
        "const c = /it's/.test(x) ? t('err.locked') : 'error';\nh('p', {}, 'Save it.');\n")
        if looks_like_prose(lit.text)]
    assert found == ["Copy", "{} notes revealed", "Save it."]


def catalog_keys() -> set[str]:
    return set(load("en"))


# kinds.js is generated from schemas/kinds.py: its English titles and geometry
# notes document the protocol for plugin authors; the pages name kinds with
# t()/label() (enum.kind.*), and test_kinds_js_text_is_not_shown_in_the_pages checks it.
PAGE_SCRIPTS = sorted(p for p in WEB.glob("*.js") if p.name != "kinds.js")


def test_kinds_js_text_is_not_shown_in_the_pages() -> None:
    for path in PAGE_SCRIPTS:
        source = path.read_text("utf-8")
        shown = re.search(r"KINDS\[[^\]]+\]\.(title|exercise)|\.geometry\.anchor", source)
        assert not shown, path.name


@pytest.mark.parametrize("path", PAGE_SCRIPTS, ids=lambda p: p.name)
def test_no_user_visible_string_literal_outside_the_catalogs(path: Path) -> None:
    keys = catalog_keys()
    prose, unknown = [], []
    for lit in js_literals(path.read_text("utf-8")):
        if KEY_CALL.search(lit.before):
            if "{}" not in lit.text and lit.text not in keys:
                unknown.append(f"{path.name}:{lit.line}: {lit.text!r}")
            continue
        if GROUP_CALL.search(lit.before):
            if not any(key.startswith(f"enum.{lit.text}.") for key in keys):
                unknown.append(f"{path.name}:{lit.line}: group {lit.text!r}")
            continue
        if CODE_CONTEXT.search(lit.before):
            continue
        if looks_like_prose(lit.text):
            prose.append(f"{path.name}:{lit.line}: {lit.text!r}")
    assert not prose, "text not taken from the catalogs:\n" + "\n".join(prose)
    assert not unknown, "keys missing from the catalogs:\n" + "\n".join(unknown)


class PageScan(HTMLParser):
    """Text and text-bearing attributes of a page, with the i18n hooks around them."""

    TEXT_ATTRS = ("title", "placeholder", "aria-label", "alt")
    VOID = {"meta", "link", "img", "input", "br", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict[str, str]] = []
        self.bare: list[str] = []
        self.keys: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("data-i18n", "data-i18n-html"):
            if key in a:
                self.keys.append(a[key])
        covered = dict(pair.split(":", 1) for pair in a.get("data-i18n-attr", "").split(";")
                       if ":" in pair)
        self.keys.extend(covered.values())
        for name in self.TEXT_ATTRS:
            if re.search(r"[A-Za-z]{2}", a.get(name, "")) and name not in covered:
                self.bare.append(f"<{tag} {name}={a[name]!r}>")
        if tag not in self.VOID:
            self.stack.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if re.search(r"[A-Za-z]{2}", data) and not any(
                "data-i18n" in a or "data-i18n-html" in a for a in self.stack):
            self.bare.append(data.strip())


@pytest.mark.parametrize("path", sorted(WEB.glob("*.html")), ids=lambda p: p.name)
def test_every_text_of_the_pages_is_filled_from_the_catalogs(path: Path) -> None:
    scan = PageScan()
    scan.feed(path.read_text("utf-8"))
    assert scan.bare == []
    assert scan.keys and set(scan.keys) <= catalog_keys(), set(scan.keys) - catalog_keys()
