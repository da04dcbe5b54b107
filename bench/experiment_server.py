"""Our server with some settings changed, for what-if runs of the benchmark.

    python -m bench.experiment_server '{"frame_interval_ms": 5}' serve --host ... --port ...

Runs ``server.cli`` exactly as ``tussentafel serve`` does, except that the given
fields of ``server.settings.Settings`` are overridden (e.g. ``frame_interval_ms``,
``presence_hz``, which have no flag). The server's code is not changed; this
only measures what a setting would do (``--server-set`` of ``python -m bench``).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.settings import Settings


def main() -> int:
    overrides = json.loads(sys.argv[1])
    # not a setting: the interpreter's GIL switch interval (seconds), for what-if runs
    if (switch := overrides.pop("switch_interval_s", None)) is not None:
        sys.setswitchinterval(float(switch))
    from server import settings as settings_module
    from server.cli import main as cli_main

    original = settings_module.Settings.from_env.__func__  # type: ignore[attr-defined]

    def from_env(cls: type[Settings], /, **kw: Any) -> Settings:
        made: Settings = original(cls, **kw)
        return made.but(**overrides)

    # patching a classmethod on the class: mypy types the attribute as the bound method
    settings_module.Settings.from_env = classmethod(from_env)  # type: ignore[assignment]
    return cli_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
