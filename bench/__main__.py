"""``python -m bench <scenario> [--quick] [--n N[,N...]] [--target NAME ...]``

Scenarios (each prints a human table, then one JSON object as its LAST line):
  room     1 board, N clients (default 10,50,100,200) x R ops/s + cursors at 10 Hz
  stall    room N=50 with and without one reader that stopped reading (issue #7)
  compare  room N=100 R=5: ours vs the bare Node relay, Hocuspocus, pycrdt-websocket
           (in alternation; prints ratios ours/peer), with cursors and without them
           (ratio_*_nocursors: ours without cursors vs the peer without cursors)
  many     200 boards x 10 clients at 1 op/s (--quick: 50 boards, said so)
  join     cold join of a 20 000-element board: time to the full welcome, bytes
  catchup  reconnect with ``since`` after 1 000 changes vs a full join
  idle     memory per idle connection
  scale    1 vs 2 server processes over Redis (--cluster: over a 3-master Redis Cluster)
  profile  py-spy of our server under room N=100 (top hot spots, self and inclusive)
  dribble  a 1 MiB frame in 64-byte writes: server CPU vs a 256 KiB one (linear reassembly)
  limits   a board at its budget: RSS, join time, and another board's ping while a viewer
           fetches /state and the SVG export in a loop (issue 12)
  all      every scenario above, one after another

Peers are installed by ``bench/peers/setup.sh`` (never by the main install).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from bench import report
from bench.scenarios import SCENARIOS


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", choices=[*SCENARIOS, "all"])
    p.add_argument("--quick", action="store_true", help="shorter runs, smaller sizes")
    p.add_argument("--n", type=lambda s: [int(x) for x in s.split(",")], default=None,
                   help="clients (room, compare, scale, profile), per board (many), "
                        "connections (idle); comma list for room")
    p.add_argument("--rate", type=float, default=None, help="ops/s per client (default 5; many 1)")
    p.add_argument("--presence-hz", type=float, default=10.0, help="cursor updates/s per client")
    p.add_argument("--no-cursors", action="store_true",
                   help="no cursor updates (--presence-hz 0); compare: only its runs without "
                        "cursors (it always adds them to the runs with cursors)")
    p.add_argument("--target", action="append", default=None,
                   choices=["ours", "relay", "hocuspocus", "pycrdt"],
                   help="which server(s) (repeatable); default: ours, or all for compare")
    p.add_argument("--rounds", type=int, default=None, help="compare: rounds (quick 2, full 3)")
    p.add_argument("--retry-noisy", type=int, default=1,
                   help="compare: re-run a run once when the machine was busy (default 1; 0: no)")
    p.add_argument("--native", action="store_true",
                   help="profile: sample native (C) frames too (py-spy --native; pauses the "
                        "server at each sample, so latency numbers of that run are not valid)")
    p.add_argument("--server-set", action="append", default=[], metavar="FIELD=VALUE",
                   help="what-if: run OUR server with a Settings field changed (e.g. "
                        "frame_interval_ms=5, presence_hz=10); repeatable")
    p.add_argument("--boards", type=int, default=None, help="many: boards (default 200)")
    p.add_argument("--elements", type=int, default=None, help="join: board size (20 000)")
    p.add_argument("--changes", type=int, default=None, help="catchup: changes (1 000)")
    p.add_argument("--cluster", action="store_true",
                   help="scale: on a 3-master Redis Cluster instead of one Redis")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.rate_set = args.rate is not None
    if args.no_cursors:
        args.presence_hz = 0.0
    if args.server_set:
        overrides = {}
        for item in args.server_set:
            key, _, value = item.partition("=")
            overrides[key] = json.loads(value)
        os.environ["BENCH_SERVER_SET"] = json.dumps(overrides)
        print(f"[bench] what-if: our server runs with {overrides}", file=sys.stderr)
    if args.rate is None:
        args.rate = 5.0
    started = time.monotonic()
    if args.scenario == "all":
        combined = {}
        for name in ("compare", "room", "stall", "many", "join", "catchup", "idle", "scale",
                     "profile"):
            text, result = SCENARIOS[name](args)
            print(text + "\n", flush=True)
            combined[name] = result
        report.finish("all", f"all scenarios in {time.monotonic() - started:.0f}s", combined)
        return 0
    text, result = SCENARIOS[args.scenario](args)
    result["elapsed_s"] = round(time.monotonic() - started, 1)
    report.finish(args.scenario, text + f"\n({result['elapsed_s']}s)", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
