"""``tussentafel board | snapshot | schemas`` run as a process against a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, ServerProcess, free_port

pytestmark = pytest.mark.timeout(60)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TUSSENTAFEL_ADMIN_TOKEN", "TUSSENTAFEL_URL")}
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30, check=False)


def ok(*args: str) -> str:
    done = cli(*args)
    assert done.returncode == 0, (done.stdout, done.stderr)
    return done.stdout


@pytest.fixture
def board(server: ServerProcess) -> dict[str, Any]:
    out = ok("board", "create", "--title", "Atelier via CLI", "--template", "atelier",
             "--url", server.url, "--json")
    created: dict[str, Any] = json.loads(out)
    return created


def test_board_create_json_gives_tokens_and_links(server: ServerProcess,
                                                  board: dict[str, Any]) -> None:
    assert board["title"] == "Atelier via CLI"
    assert board["template"] == "atelier"
    assert set(board["tokens"]) == {"facilitator", "participant", "viewer"}
    bid = board["board"]
    assert board["links"]["facilitator"].endswith(f"/b/{bid}?t={board['tokens']['facilitator']}")
    assert board["links"]["viewer"].endswith(f"/b/{bid}/screen?t={board['tokens']['viewer']}")
    # the board exists, made from the template
    state = server.state(bid, board["tokens"]["viewer"])
    ids = {el["id"] for el in state["elements"]}
    assert {"tpl-frame-task", "tpl-table", "tpl-grades"} <= ids


def test_board_create_takes_the_boards_language(server: ServerProcess) -> None:
    made = json.loads(ok("board", "create", "--title", "Atelier", "--template", "atelier",
                         "--lang", "nl", "--url", server.url, "--json"))
    assert made["lang"] == "nl"
    state = server.state(made["board"], made["tokens"]["viewer"])
    labels = {el["id"]: el.get("label") for el in state["elements"]}
    assert labels["tpl-grades"] == "Integratiegraad"
    assert cli("board", "create", "--title", "X", "--lang", "de", "--url",
               server.url).returncode != 0


def test_board_create_text_prints_the_three_links(server: ServerProcess) -> None:
    out = ok("board", "create", "--title", "Plain board", "--url", server.url + "/")
    lines = out.splitlines()
    assert lines[0].startswith("board ") and lines[0].endswith(": Plain board")
    links = {line.split()[0]: line.split()[1] for line in lines[1:4]}
    assert set(links) == {"facilitator", "participant", "viewer"}
    for role, link in links.items():
        assert link.startswith(f"{server.url}/b/"), link
        assert "?t=" in link, role
    assert "tokens:" in lines


def test_snapshot_save_list_export(server: ServerProcess, board: dict[str, Any],
                                   tmp_path: Path) -> None:
    bid, fac = board["board"], board["tokens"]["facilitator"]
    out = ok("snapshot", "save", bid, "--token", fac, "--label", "after the task round",
             "--url", server.url)
    meta = json.loads(out)
    assert meta["label"] == "after the task round"
    assert meta["elements"] == len(server.state(bid, fac)["elements"])
    assert set(meta) >= {"snapshot", "label", "clock", "created_at", "elements"}

    # every role may list; the newest snapshot comes first
    second = json.loads(ok("snapshot", "save", bid, "--token", fac, "--url", server.url))
    assert second["label"] == "Snapshot"
    listed = ok("snapshot", "list", bid, "--token", board["tokens"]["viewer"],
                "--url", server.url).splitlines()
    assert [line.split()[0] for line in listed] == [second["snapshot"], meta["snapshot"]]
    assert listed[1].endswith("after the task round")
    assert f"{meta['elements']} elements" in listed[1]

    target = tmp_path / "report" / "task.svg"
    out = ok("snapshot", "export", bid, "--token", fac, "--snapshot", meta["snapshot"],
             "--out", str(target), "--url", server.url)
    assert out.strip() == f"wrote {target}"
    root = ET.fromstring(target.read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text == "Atelier via CLI — after the task round"
    assert b"Our joint table" in target.read_bytes()

    # without --snapshot: the newest; without --out: BOARD-SID.svg in the working folder
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "snapshot", "export", bid, "--token", fac,
         "--url", server.url], cwd=tmp_path, capture_output=True, text=True, timeout=30,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, done.stderr
    ET.parse(tmp_path / f"{bid}-{second['snapshot']}.svg")


def test_snapshot_list_and_export_of_a_board_without_snapshots(server: ServerProcess) -> None:
    fresh = json.loads(ok("board", "create", "--title", "Empty", "--url", server.url, "--json"))
    token = fresh["tokens"]["facilitator"]
    assert ok("snapshot", "list", fresh["board"], "--token", token,
              "--url", server.url).strip() == "no snapshots yet"
    done = cli("snapshot", "export", fresh["board"], "--token", token, "--url", server.url)
    assert done.returncode != 0
    assert "no snapshots yet" in done.stderr


def test_participant_cannot_save_a_snapshot(server: ServerProcess,
                                            board: dict[str, Any]) -> None:
    done = cli("snapshot", "save", board["board"], "--token", board["tokens"]["participant"],
               "--url", server.url)
    assert done.returncode != 0
    assert "403" in done.stderr and "facilitator" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    snaps = server.get(f"/api/boards/{board['board']}/snapshots",
                       board["tokens"]["facilitator"]).json()["snapshots"]
    assert snaps == []


def test_bad_token_and_unknown_board_are_clear(server: ServerProcess,
                                               board: dict[str, Any]) -> None:
    done = cli("snapshot", "list", board["board"], "--token", "nonsense", "--url", server.url)
    assert done.returncode != 0 and "401" in done.stderr, done.stderr
    done = cli("snapshot", "list", "nosuchboard", "--token", board["tokens"]["facilitator"],
               "--url", server.url)
    assert done.returncode != 0 and "404" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_unreachable_server() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    for args in (("board", "create", "--title", "X"),
                 ("snapshot", "save", "someboard", "--token", "t")):
        done = cli(*args, "--url", url)
        assert done.returncode != 0
        assert "cannot reach" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_schemas_export_writes_the_files(tmp_path: Path) -> None:
    from schemas.export import DOC_PATH, doc_table, generated
    from schemas.jsonschema import documents

    target = tmp_path / "json"
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "canvas_client" / "web").mkdir(parents=True)
    page = (ROOT / DOC_PATH).read_text()
    (root / DOC_PATH).write_text(page.replace(doc_table(), doc_table().replace("`note`", "`x`")))
    (target).mkdir()
    (target / "stale.schema.json").write_text("{}")
    out = ok("schemas", "export", "--dir", str(target), "--root", str(root))
    names = sorted(p.name for p in target.iterdir())
    assert names == sorted(documents())  # the stale file is gone
    assert out.splitlines()[0] == f"wrote {len(names)} schemas to {target}"
    assert "element.note.schema.json" in names and "op.put.schema.json" in names
    for name in names:
        doc = json.loads((target / name).read_text())
        assert isinstance(doc, dict) and doc, name
    for path, text in generated().items():
        assert (root / path).read_text() == text
    assert (root / DOC_PATH).read_text() == page  # the table is regenerated in place
