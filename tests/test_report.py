"""The Atelier report against a real server: its JSON, the diff endpoint, the
printable page in headless Chromium (PDF text read back with pdftotext), and
``tussentafel report``."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.atelier_rounds import CONDUCT, FACILITATOR, LABELS, PEOPLE, TASK, TITLE, three_rounds
from tests.conftest import ROOT, SCREENSHOTS, ServerProcess

pytestmark = pytest.mark.timeout(120)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
IMAGE = SCREENSHOTS / "report.png"


@pytest.fixture(scope="module")
def atelier(server: ServerProcess) -> dict[str, Any]:
    return asyncio.run(three_rounds(server))


def _report(server: ServerProcess, atelier: dict[str, Any], role: str = "facilitator") -> Any:
    r = server.get(f"/api/boards/{atelier['board']}/report", atelier["tokens"][role])
    assert r.status_code == 200, r.text
    return r.json()


def _ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_report_lists_snapshots_insights_agreements_and_changes(
    server: ServerProcess, atelier: dict[str, Any]
) -> None:
    report = _report(server, atelier)
    pids = atelier["pids"]
    assert report["title"] == TITLE
    assert [s["label"] for s in report["snapshots"]] == list(LABELS)
    assert [s["snapshot"] for s in report["snapshots"]] == atelier["snapshots"]
    names = {p["name"] for p in report["participants"]}
    assert names == {*PEOPLE.values(), FACILITATOR}
    assert all(p["color"].startswith("#") for p in report["participants"])

    first, second, third = report["snapshots"]
    for snap in report["snapshots"]:
        assert set(snap["insights"]) >= {"territory", "grades", "roles", "time", "missing"}
    assert first["changes"] is None
    assert first["insights"]["missing"] == ["domain-youth"]
    assert first["labels"]["domain-youth"] == "Youth work"
    assert first["insights"]["grades"]["tpl-grades"]["current"] == {
        "fragmented": 3, "aligned": 3, "coordinated": 0, "integrated": 0}
    assert first["insights"]["grades"]["tpl-grades"]["spread"] == {"current": 1, "ambition": 2}
    assert "Eva" not in first["insights"]["territory"]["without_domain"]
    assert "Eva" in second["insights"]["territory"]["without_domain"]

    change = second["changes"]
    assert {"task-joint", "cc-0", "cc-1", "cc-2"} <= _ids(change["added"])
    added = {a["id"]: a for a in change["added"]}
    assert added["task-joint"]["author"] == pids[FACILITATOR]
    assert added["task-joint"]["kind"] == "note"
    assert added["cc-0"]["author"] == pids["anna"] and added["cc-0"]["text"] == CONDUCT[0]
    assert [(r["id"], r["kind"], r["author"]) for r in change["removed"]] == [
        ("domain-eva", "domain", pids["eva"])]
    assert {(g["voter"], g["kind"], g["from"], g["to"]) for g in change["grades"]} == {
        (pids["anna"], "now", "fragmented", "aligned"),
        (pids["chen"], "ambition", "integrated", "coordinated")}
    locked = {c["id"]: c["fields"] for c in change["changed"]}
    assert locked["grade-anna-current"]["grade"] == ["fragmented", "aligned"]

    change = third["changes"]
    assert _ids(change["added"]) == {f"why2-{who}" for who in PEOPLE}
    assert change["removed"] == []
    assert [(g["voter"], g["kind"], g["from"], g["to"]) for g in change["grades"]] == [
        (pids["bram"], "ambition", "integrated", "coordinated")]

    assert [a["text"] for a in report["agreements"]] == [TASK, *CONDUCT]
    assert [a["topic"] for a in report["agreements"]] == [
        "collective_task", "do", "dont", "decision_rule"]
    why = next(t for t in report["topics"] if t["topic"] == "why_here")
    assert [len(r["notes"]) for r in why["rounds"]] == [6, 6, 12]


def test_diff_endpoint_agrees_with_the_report(
    server: ServerProcess, atelier: dict[str, Any]
) -> None:
    bid, fac = atelier["board"], atelier["tokens"]["facilitator"]
    report = _report(server, atelier)
    s1, s2, s3 = atelier["snapshots"]
    for (a, b), snap in zip(((s1, s2), (s2, s3)), report["snapshots"][1:], strict=True):
        r = server.get(f"/api/boards/{bid}/snapshots/{a}/diff", fac, params={"to": b})
        assert r.status_code == 200, r.text
        assert r.json() == snap["changes"]
    r = server.get(f"/api/boards/{bid}/snapshots/{s3}/diff", fac, params={"to": "live"})
    assert r.json() == {"added": [], "removed": [], "changed": [], "grades": []}
    r = server.get(f"/api/boards/{bid}/snapshots/{s1}/diff",
                   atelier["tokens"]["participant"], params={"to": "live"})
    assert r.status_code == 200 and "domain-eva" in _ids(r.json()["removed"])
    assert server.get(f"/api/boards/{bid}/snapshots/nope/diff", fac,
                      params={"to": "live"}).status_code == 404
    assert server.get(f"/api/boards/{bid}/snapshots/{s1}/diff", fac,
                      params={"to": "nope"}).status_code == 404
    r = server.get(f"/api/boards/{bid}/snapshots/{s1}/diff", fac)
    assert r.status_code == 400 and r.json()["error"] == "invalid"


def test_report_needs_a_facilitator_or_viewer_token(
    server: ServerProcess, atelier: dict[str, Any]
) -> None:
    bid, tokens = atelier["board"], atelier["tokens"]
    viewer = _report(server, atelier, "viewer")
    assert [s["label"] for s in viewer["snapshots"]] == list(LABELS)
    r = server.get(f"/api/boards/{bid}/report", tokens["participant"])
    assert r.status_code == 403
    other = server.create_board()
    r = server.get(f"/api/boards/{bid}/report", other["tokens"]["facilitator"])
    assert r.status_code == 401


def _pdf_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         check=True, timeout=60)
    return _flat(out.stdout.decode())


def _first_page(pdf: Path, png: Path) -> None:
    subprocess.run(["pdftoppm", "-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(pdf.with_suffix(""))], check=True, timeout=60)
    png.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf.with_suffix(".png"), png)


@pytest.mark.browser
async def test_report_page_renders_and_prints(
    server: ServerProcess, atelier: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    bid, fac = atelier["board"], atelier["tokens"]["facilitator"]
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 794, "height": 1123})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"{server.url}/b/{bid}/report?t={fac}&lang=en")
            await page.wait_for_selector("body[data-state=ready]", timeout=30_000)
            assert await page.locator("#report-title").inner_text() == TITLE
            assert await page.locator("section.snapshot").count() == 3
            widths = await page.eval_on_selector_all(
                "figure img", "imgs => imgs.map(i => i.naturalWidth)")
            assert len(widths) == 3 and all(w > 0 for w in widths)
            await page.emulate_media(media="print")
            pdf = tmp_path / "report.pdf"
            await page.pdf(path=str(pdf), format="A4", print_background=True)
            await page.goto(f"{server.url}/b/{bid}/report?t={fac}&lang=nl")
            await page.wait_for_selector("body[data-state=ready]", timeout=30_000)
            assert "Onze afspraken" in await page.locator("#agreements h2").inner_text()
        finally:
            await browser.close()
    assert errors == []
    text = _pdf_text(pdf)
    for needle in (TITLE, *LABELS, TASK, *CONDUCT, "Our agreements", "Youth work"):
        assert needle in text, needle
    _first_page(pdf, IMAGE)  # the docs' picture: the first page as it prints


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=90,
                          env={**os.environ, **(env or {})})


@pytest.mark.browser
def test_cli_prints_the_report_to_pdf(
    server: ServerProcess, atelier: dict[str, Any], tmp_path: Path
) -> None:
    assert shutil.which("pdftotext")
    out = tmp_path / "report.pdf"
    done = _cli("report", atelier["board"], "--token", atelier["tokens"]["viewer"],
                "--out", str(out), "--server", server.url, "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:5] == b"%PDF-"
    text = _pdf_text(out)
    for needle in (TITLE, *LABELS, *CONDUCT):
        assert needle in text, needle


def test_cli_writes_html_without_chromium(
    server: ServerProcess, atelier: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    done = _cli("report", atelier["board"], "--token", atelier["tokens"]["facilitator"],
                "--out", str(out), "--server", server.url,
                env={"TUSSENTAFEL_CHROMIUM": str(tmp_path / "no-chromium")})
    assert done.returncode == 0, done.stderr
    html = tmp_path / "report.html"
    assert not out.exists() and html.exists()
    assert "no Chromium" in done.stdout and str(html) in done.stdout
    page = html.read_text()
    for needle in (TITLE, *LABELS, TASK, "<svg"):
        assert needle in page, needle
    bad = _cli("report", atelier["board"], "--token", "nope", "--out", str(out),
               "--server", server.url)
    assert bad.returncode != 0 and "401" in bad.stderr


def test_report_of_a_board_without_snapshots(server: ServerProcess) -> None:
    board = server.create_board("Empty")
    r = server.get(f"/api/boards/{board['board']}/report", board["tokens"]["viewer"])
    assert r.status_code == 200
    body = r.json()
    assert body["snapshots"] == [] and body["agreements"] == [] and len(body["dates"]) == 1
    r = httpx.get(f"{server.url}/b/{board['board']}/report", timeout=10)
    assert r.status_code == 200 and "report.js" in r.text
