"""The browser's pure parts in Node (no DOM, no server): replica.js applies a
restore like canvas_client/replica.py, undo.js undoes a delete with restore,
outbox.js keeps unacked batches within its bounds, oldest first, tablock.js and
tabClientId() tell a duplicated tab's id from a reloaded one's."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

from tests.conftest import ROOT

WEB = "./canvas_client/web"


def run(body: str) -> Any:
    """Run an ES module body in Node; it prints one JSON value."""
    script = (
        f"import {{ Replica, Gap, Unknown }} from '{WEB}/replica.js';\n"
        f"import {{ inverseOps }} from '{WEB}/undo.js';\n"
        f"import {{ Outbox, MAX_BATCHES }} from '{WEB}/outbox.js';\n"
        "class MemoryStorage { constructor() { this.m = new Map(); }\n"
        "  getItem(k) { return this.m.has(k) ? this.m.get(k) : null; }\n"
        "  setItem(k, v) { this.m.set(k, String(v)); } removeItem(k) { this.m.delete(k); } }\n"
        + body
    )
    done = subprocess.run(["node", "--input-type=module", "-e", script], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


NOTE = ("{ id: 'n1', kind: 'note', x: 0, y: 0, z: 'a0', text: 'hi', author: 'bob', v: 1,"
        " created: 5 }")


def test_an_own_restore_comes_back_as_it_was_and_is_stamped_on_ack() -> None:
    out = run(f"""
const r = new Replica();
r.welcome({{ you: 'ada', full: true, clock: 1, elements: [{NOTE}] }});
r.local('b1', [{{ op: 'del', id: 'n1' }}]);
const gone = r.elements.has('n1');
r.ack({{ id: 'b1', ok: true, clock: 2, time: 20 }});
r.local('b2', [{{ op: 'restore', id: 'n1' }}]);
const optimistic = r.elements.get('n1');
r.ack({{ id: 'b2', ok: true, clock: 3, time: 30 }});
const acked = r.base.get('n1');
console.log(JSON.stringify({{ gone, optimistic, acked, pending: r.pending.size }}));
""")
    assert out["gone"] is False
    assert out["optimistic"]["author"] == "bob" and out["optimistic"]["text"] == "hi"
    assert out["acked"] == {"id": "n1", "kind": "note", "x": 0, "y": 0, "z": "a0", "text": "hi",
                            "author": "bob", "created": 5, "v": 3, "updated": 30}
    assert out["pending"] == 0


def test_a_restore_before_the_delete_is_acked_and_a_refused_delete_roll_back() -> None:
    out = run(f"""
const r = new Replica();
r.welcome({{ you: 'ada', full: true, clock: 1, elements: [{NOTE}] }});
r.local('b1', [{{ op: 'del', id: 'n1' }}]);
r.local('b2', [{{ op: 'restore', id: 'n1' }}]);
const both = r.elements.get('n1').author;
r.ack({{ id: 'b1', ok: false, code: 'forbidden', message: 'no' }});
console.log(JSON.stringify({{ both, after: r.elements.has('n1'), graves: r.graves.size }}));
""")
    assert out == {"both": "bob", "after": True, "graves": 0}


def test_an_acked_restore_of_an_element_never_seen_asks_for_a_catch_up() -> None:
    out = run("""
const r = new Replica();
r.welcome({ you: 'ada', full: true, clock: 4, elements: [] });
r.local('b1', [{ op: 'restore', id: 'ghost' }]);
let caught = null;
try { r.ack({ id: 'b1', ok: true, clock: 5, time: 9 }); } catch (err) {
  caught = { unknown: err instanceof Unknown, gap: err instanceof Gap };
}
console.log(JSON.stringify({ caught, clock: r.clock, pending: r.pending.size }));
""")
    assert out == {"caught": {"unknown": True, "gap": True}, "clock": 4, "pending": 0}


def test_others_deletes_keep_a_grave_and_their_restore_arrives_as_a_put() -> None:
    out = run(f"""
const r = new Replica();
r.welcome({{ you: 'ada', full: true, clock: 1, elements: [{NOTE}] }});
r.patch({{ clock: 2, time: 20, by: 'bob', ops: [{{ op: 'del', id: 'n1' }}] }});
const grave = r.graves.get('n1').author;
const el = {{ ...r.graves.get('n1'), v: 3 }};
r.patch({{ clock: 3, time: 30, by: 'bob', ops: [{{ op: 'put', el }}] }});
console.log(JSON.stringify({{ grave, back: r.elements.get('n1').author }}));
""")
    assert out == {"grave": "bob", "back": "bob"}


def test_undo_of_a_delete_is_a_restore_and_its_redo_a_delete() -> None:
    out = run(f"""
const els = new Map([['n1', {NOTE}]]);
const undoDel = inverseOps(els, [{{ op: 'del', id: 'n1' }}]);
const redo = inverseOps(new Map(), undoDel);
const undoCreate = inverseOps(new Map(), [{{ op: 'put', el: {NOTE} }}]);
console.log(JSON.stringify({{ undoDel, redo, undoCreate }}));
""")
    assert out["undoDel"] == [{"op": "restore", "id": "n1"}]
    assert out["redo"] == [{"op": "del", "id": "n1"}]
    assert out["undoCreate"] == [{"op": "del", "id": "n1"}]


def test_the_outbox_keeps_the_oldest_batches_that_fit_and_forgets_acked_ones() -> None:
    out = run("""
const store = new MemoryStorage();
const box = new Outbox('brd', 'c1', store);
const pending = new Map();
for (let i = 0; i < MAX_BATCHES + 5; i += 1) pending.set(`b${i}-x`, [{ op: 'del', id: `e${i}` }]);
const over = box.save(pending);
const loaded = new Outbox('brd', 'c1', store).load();
const text = 'x'.repeat(3 * 1024 * 1024);
const big = new Map([['huge', [{ op: 'put', el: { id: 'e', text } }]]]);
const tooBig = box.save(big);
const none = box.save(new Map());
console.log(JSON.stringify({ over, n: loaded.length, first: loaded[0][0], last: loaded.at(-1)[0],
  tooBig, none, key: store.getItem('tussentafel:outbox:brd:c1') }));
""")
    assert out["over"] == {"stored": 1000, "total": 1005, "full": True}
    assert out["n"] == 1000 and out["first"] == "b0-x" and out["last"] == "b999-x"
    assert out["tooBig"] == {"stored": 0, "total": 1, "full": True}
    assert out["none"] == {"stored": 0, "total": 0, "full": False}
    assert out["key"] is None


def test_a_damaged_outbox_loads_as_empty() -> None:
    out = run("""
const store = new MemoryStorage();
store.setItem('tussentafel:outbox:brd:c1', '[{"id": 1}, not json');
const a = new Outbox('brd', 'c1', store).load();
store.setItem('tussentafel:outbox:brd:c1', '[{"id": 1}, {"id": "b1", "ops": []}, {"ops": []}]');
const b = new Outbox('brd', 'c1', store).load();
console.log(JSON.stringify({ a, b }));
""")
    assert out == {"a": [], "b": [["b1", []]]}


def test_outbox_batches_name_the_link_they_are_sent_with_never_the_token() -> None:
    out = run("""
const { linkOf } = await import('./canvas_client/web/outbox.js');
const store = new MemoryStorage();
const token = 'brd.p1.c2VjcmV0LXNpZ25hdHVyZQ';
new Outbox('brd', 'c1', store, linkOf(token)).save(new Map([['b1', []]]));
const text = store.getItem('tussentafel:outbox:brd:c1');
const entries = new Outbox('brd', 'c1', store).entries();
console.log(JSON.stringify({ leaks: text.includes('c2VjcmV0'), entries,
  same: linkOf(token) === linkOf(token), other: linkOf(token) !== linkOf('brd.v1.xyz') }));
""")
    assert out["leaks"] is False and out["same"] and out["other"]
    (entry,) = out["entries"]
    assert entry["id"] == "b1" and re.fullmatch(r"[0-9a-f]{8}", entry["link"])


def test_a_tab_id_another_live_page_marked_is_not_taken_and_a_stale_mark_is() -> None:
    out = run("""
globalThis.localStorage = new MemoryStorage();
const { tabClientId } = await import('./canvas_client/web/sync.js');
const { FRESH_MS, INSTANCE, hold, heldElsewhere } = await import('./canvas_client/web/tablock.js');
const tab = (id) => {
  const s = new MemoryStorage();
  s.setItem('tussentafel.client', id);
  return s;
};
const markBy = (id, instance, t) =>
  localStorage.setItem(`tussentafel:tab:${id}`, JSON.stringify({ instance, t }));

markBy('cA', 'another-page', Date.now());  // a duplicated tab: its original is live
const dupStore = tab('cA');
const dup = tabClientId(dupStore);
const kept = tabClientId(dupStore) === dup && dupStore.getItem('tussentafel.client') === dup;
markBy('cB', 'another-page', Date.now() - FRESH_MS - 1000);  // a crashed page's old mark
const stale = tabClientId(tab('cB'));
const release = hold('cC');  // this page's own id
const mark = JSON.parse(localStorage.getItem('tussentafel:tab:cC'));
const own = tabClientId(tab('cC'));
const ownElsewhere = heldElsewhere('cC');
release();
const after = localStorage.getItem('tussentafel:tab:cC');
Object.defineProperty(globalThis, 'localStorage', { get() { throw new Error('denied'); } });
const denied = tabClientId(tab('cD'));
console.log(JSON.stringify({ dup, kept, stale, own, mine: mark.instance === INSTANCE,
  ownElsewhere, after, denied }));
""")
    assert out["dup"] != "cA" and out["dup"].startswith("c") and out["kept"]
    assert out["stale"] == "cB"
    assert out["own"] == "cC" and out["mine"] and out["ownElsewhere"] is False
    assert out["after"] is None
    assert out["denied"] == "cD"
