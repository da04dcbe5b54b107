"""``tussentafel serve | board | snapshot | report | schemas`` (see README.md)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8000"


_SECRET_PARAMS = frozenset({"t"})  # query parameters that carry a token


def redact_query(text: str) -> str:
    """``text`` with the value of every token parameter of a URL in it
    replaced, however the parameter's name is spelt (``?t=``, ``?%74=``,
    ``&t=``): the decoded name decides, as it does for the server."""
    from urllib.parse import unquote_plus

    if "?" not in text:
        return text
    head, _, rest = text.partition("?")
    end = len(rest)
    for stop in (" ", '"', "\n"):  # a logged URL ends at a space or a quote
        at = rest.find(stop)
        if at != -1:
            end = min(end, at)
    query, tail = rest[:end], rest[end:]
    pieces = []
    for piece in query.split("&"):
        name, eq, _ = piece.partition("=")
        if eq and unquote_plus(name).strip() in _SECRET_PARAMS:
            piece = f"{name}=<redacted>"
        pieces.append(piece)
    return f"{head}?{'&'.join(pieces)}{redact_query(tail)}"


class _RedactTokens(logging.Filter):
    """Tokens never reach the logs, even inside a logged URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact_query(a) if isinstance(a, str) else a for a in args)
        return True


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app
    from server.settings import Settings
    from server.web.protocol import http_protocol
    from server.ws.frames import WebSocketProtocol

    settings = Settings.from_env(
        host=args.host,
        port=args.port,
        data_dir=Path(args.data),
        redis_url=args.redis,
        ws_deflate=args.ws_deflate or None,
        log_level=args.log_level,
    )
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    for name in ("uvicorn.access", "uvicorn.error", "tussentafel"):
        logging.getLogger(name).addFilter(_RedactTokens())
    for handler in logging.getLogger().handlers:  # what child loggers propagate, too
        handler.addFilter(_RedactTokens())
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop=loop,
        http=http_protocol(settings),
        ws=WebSocketProtocol,
        ws_max_size=settings.max_frame,
        ws_per_message_deflate=settings.ws_deflate,
        ws_ping_interval=settings.ws_ping_interval_s or None,
        ws_ping_timeout=settings.ws_ping_timeout_s or None,
        lifespan="on",
        log_level=settings.log_level,
        access_log=args.access_log,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    store = f"redis {settings.redis_url.split('@')[-1]}" if settings.redis_url else (
        f"embedded SQLite in {settings.data_dir}"
    )
    from server.web.reach import startup_lines

    lines = startup_lines(settings.host, settings.port, settings.public_url)
    print("\n".join([f"tussentafel: serving ({store})", *lines]), flush=True)
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1


def _request(method: str, url: str, token: str | None = None, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            if response.headers.get_content_type() == "application/json":
                return json.loads(raw)
            return raw
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("message", "")
        except ValueError:
            detail = ""
        raise SystemExit(f"tussentafel: {exc.code} {detail or exc.reason}") from None
    except urllib.error.URLError as exc:
        raise SystemExit(f"tussentafel: cannot reach {url}: {exc.reason}") from None
    except OSError as exc:  # a reset or a timeout after the connection was made
        raise SystemExit(f"tussentafel: cannot reach {url}: {exc}") from None


def _base(url: str) -> str:
    """The server's base URL without a trailing slash (``--url http://host:8000/``)."""
    return url.rstrip("/")


def board_create(args: argparse.Namespace) -> int:
    admin = os.environ.get("TUSSENTAFEL_ADMIN_TOKEN")
    body = {"title": args.title, "template": args.template}
    if args.lang:
        body["lang"] = args.lang
    out = _request("POST", f"{_base(args.url)}/api/boards", admin, body)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"board {out['board']}: {out['title']}")
    for role, link in out["links"].items():
        print(f"  {role:12} {link}")
    print("tokens:")
    for role, token in out["tokens"].items():
        print(f"  {role:12} {token}")
    return 0


def snapshot_cmd(args: argparse.Namespace) -> int:
    base = f"{_base(args.url)}/api/boards/{args.board}/snapshots"
    if args.action == "save":
        out = _request("POST", base, args.token, {"label": args.label or "Snapshot"})
        print(json.dumps(out, indent=2))
    elif args.action == "list":
        snaps = _request("GET", base, args.token)["snapshots"]
        if not snaps:
            print("no snapshots yet")
        for snap in snaps:
            print(f"{snap['snapshot']}  clock {snap['clock']:>6}  {snap['elements']:>5} elements  "
                  f"{snap['label']}")
    else:
        snaps = _request("GET", base, args.token)["snapshots"]
        if not snaps:
            raise SystemExit("tussentafel: this board has no snapshots yet")
        sid = args.snapshot or snaps[0]["snapshot"]
        svg = _request("GET", f"{base}/{sid}.svg", args.token)
        if not isinstance(svg, bytes):
            raise SystemExit("tussentafel: the server did not answer with an SVG")
        out = Path(args.out or f"{args.board}-{sid}.svg")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(svg)
        print(f"wrote {out}")
    return 0


def report_cmd(args: argparse.Namespace) -> int:
    """The Atelier report as PDF (Chromium prints the report page), else as HTML."""
    import subprocess
    import urllib.parse

    from server.report import printable

    base, board = _base(args.server), urllib.parse.quote(args.board, safe="")
    data = _request("GET", f"{base}/api/boards/{board}/report", args.token)  # fails early
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    chromium = Path(os.environ.get("TUSSENTAFEL_CHROMIUM", "/usr/bin/chromium"))
    if chromium.is_file():
        query = urllib.parse.urlencode({"t": args.token, "lang": args.lang})
        cmd = [str(chromium), "--headless", "--no-sandbox", "--disable-gpu",
               "--no-pdf-header-footer", "--virtual-time-budget=60000",
               f"--print-to-pdf={out.resolve()}", f"{base}/b/{board}/report?{query}"]
        done = subprocess.run(cmd, capture_output=True, timeout=180, check=False)
        if done.returncode != 0 or not out.is_file():
            raise SystemExit(f"tussentafel: chromium could not print the report: "
                             f"{done.stderr.decode(errors='replace')[-500:]}")
        print(f"wrote {out}")
        return 0
    svgs = {}
    for snap in data["snapshots"]:
        sid = urllib.parse.quote(snap["snapshot"], safe="")
        svg = _request("GET", f"{base}/api/boards/{board}/snapshots/{sid}.svg", args.token)
        svgs[snap["snapshot"]] = svg.decode() if isinstance(svg, bytes) else ""
    html = out.with_suffix(".html")
    html.write_text(printable.render(data, svgs, args.lang), encoding="utf-8")
    print(f"tussentafel: no Chromium at {chromium}, so no PDF: wrote the report as HTML to "
          f"{html} (open it in a browser and print it)")
    return 0


def schemas_export(args: argparse.Namespace) -> int:
    """Everything generated from ``schemas/``: JSON Schema files, ``kinds.js``,
    ``kinds.d.ts`` and the kinds table of docs/protocol.md."""
    from schemas.export import DOC_PATH, generated, with_doc_table
    from schemas.jsonschema import documents

    target = Path(args.dir)
    target.mkdir(parents=True, exist_ok=True)
    docs = documents()
    for stale in set(p.name for p in target.glob("*.schema.json")) - set(docs):
        (target / stale).unlink()
    for name, doc in docs.items():
        (target / name).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    print(f"wrote {len(docs)} schemas to {target}")
    root = Path(args.root)
    for path, text in generated().items():
        (root / path).write_text(text)
        print(f"wrote {root / path}")
    page = root / DOC_PATH
    page.write_text(with_doc_table(page.read_text()))
    print(f"wrote the kinds table of {page}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tussentafel", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the server")
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p.add_argument("--data", default=os.environ.get("DATA_DIR", "./data"),
                   help="folder of the embedded store (default ./data)")
    p.add_argument("--redis", default=None, help="redis://... : use Redis (many processes)")
    p.add_argument("--ws-deflate", action="store_true",
                   help="enable permessage-deflate (off by default: it costs latency)")
    p.add_argument("--access-log", action="store_true", help="log every HTTP request")
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=serve)

    p = sub.add_parser("board", help="boards on a running server")
    bsub = p.add_subparsers(dest="action", required=True)
    c = bsub.add_parser("create", help="create a board and print its three links")
    c.add_argument("--title", required=True)
    c.add_argument("--template", default="blank", choices=["blank", "atelier"])
    c.add_argument("--lang", choices=["nl", "en"],
                   help="the board's language (default: English)")
    c.add_argument("--url", default=os.environ.get("TUSSENTAFEL_URL", DEFAULT_URL))
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=board_create)

    p = sub.add_parser("snapshot", help="snapshots of a board on a running server")
    p.add_argument("action", choices=["save", "list", "export"])
    p.add_argument("board")
    p.add_argument("--token", required=True, help="a token of the board (facilitator to save)")
    p.add_argument("--label")
    p.add_argument("--snapshot", help="export this snapshot (default: the newest)")
    p.add_argument("--out", help="file to write the SVG to")
    p.add_argument("--url", default=os.environ.get("TUSSENTAFEL_URL", DEFAULT_URL))
    p.set_defaults(func=snapshot_cmd)

    p = sub.add_parser("report", help="the Atelier report of a board as PDF (or HTML)")
    p.add_argument("board")
    p.add_argument("--token", required=True, help="a facilitator or viewer token of the board")
    p.add_argument("--out", required=True, help="the PDF to write (report.pdf)")
    p.add_argument("--server", "--url", dest="server",
                   default=os.environ.get("TUSSENTAFEL_URL", DEFAULT_URL))
    p.add_argument("--lang", default="nl", choices=["nl", "en"])
    p.set_defaults(func=report_cmd)

    p = sub.add_parser("schemas", help="JSON Schema files")
    ssub = p.add_subparsers(dest="action", required=True)
    e = ssub.add_parser("export", help="write schemas/json/*.schema.json, kinds.js, kinds.d.ts "
                        "and the kinds table of docs/protocol.md")
    root = Path(__file__).resolve().parent.parent
    e.add_argument("--dir", default=str(root / "schemas" / "json"))
    e.add_argument("--root", default=str(root), help="the repository (for kinds.js and docs)")
    e.set_defaults(func=schemas_export)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
