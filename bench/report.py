"""Printing: a human table, then (as the very last line) one JSON object."""

from __future__ import annotations

import json
import math
import os
import platform
import time
from pathlib import Path
from typing import Any

from bench.procs import RESULTS


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    line = "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(out)


LOAD_HEADERS = ["target", "N", "p50 ms", "p95 ms", "p99 ms", "max ms", "deliv/s", "ratio",
                "srv CPU%", "CPU us/deliv", "RSS MiB", "B/deliv", "gen CPU%", "other CPU%", "noisy"]


def load_row(label: str, r: dict[str, Any]) -> list[Any]:
    lat = r.get("latency_ms", {})
    return [label, r.get("clients"), lat.get("p50"), lat.get("p95"), lat.get("p99"),
            lat.get("max"), r.get("deliveries_per_s"),
            r.get("delivery_ratio"), r.get("server_cpu_pct"), r.get("server_cpu_us_per_delivery"),
            round(r.get("server_rss_kib_peak", 0) / 1024, 1), r.get("rx_bytes_per_delivery"),
            r.get("gen_cpu_pct"), r.get("other_cpu_pct"), "yes" if r.get("noisy") else ""]


def clean(value: Any) -> Any:
    """Strict JSON: NaN and infinities become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def finish(scenario: str, text: str, result: dict[str, Any]) -> None:
    """Print the table, save the JSON under bench/results/, end with the JSON line."""
    what_if = json.loads(os.environ.get("BENCH_SERVER_SET") or "{}")
    result = clean({"scenario": scenario, "machine": machine(),
                    **({"server_set": what_if} if what_if else {}), **result})
    print(text, flush=True)
    try:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        (RESULTS / f"{scenario}-{stamp}.json").write_text(json.dumps(result, indent=1))
    except OSError:
        pass
    print(json.dumps(result, separators=(",", ":"), allow_nan=False), flush=True)
