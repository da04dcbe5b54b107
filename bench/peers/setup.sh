#!/usr/bin/env bash
# Installs the benchmark's peers (never part of the main install):
#   - Node: ws + msgpackr (bare relay), @hocuspocus/server + yjs   -> bench/peers/node_modules
#   - Python: pycrdt + pycrdt-websocket (+ uvicorn, uvloop, msgpack) -> bench/peers/.venv
#   - py-spy (profiler) into the main Python, for `python -m bench profile`
# Re-running it is cheap (npm/pip skip what is there). Needs Node >= 20, npm, python3 >= 3.11.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
echo "== node peers (npm install in $here)"
npm install --no-audit --no-fund --loglevel=error
echo "== python peers (venv in $here/.venv)"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check "pycrdt==0.14.13" "pycrdt-websocket==0.16.5" "uvicorn[standard]>=0.30" uvloop msgpack
echo "== profiler (py-spy, into $py)"
"$py" -m pip install --quiet py-spy || echo "py-spy could not be installed: 'python -m bench profile' will say so"
echo "== versions"
node -e "const fs=require('fs'); for (const p of ['ws','msgpackr','@hocuspocus/server','yjs']) console.log(p, JSON.parse(fs.readFileSync('node_modules/'+p+'/package.json')).version)"
.venv/bin/python -c "import importlib.metadata as m; [print(p, m.version(p)) for p in ('pycrdt','pycrdt-websocket','uvicorn')]"
echo "peers ready"
