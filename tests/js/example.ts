// A plugin host's use of sync.js, type-checked against sync.d.ts (tests/test_contract.py).
// The `@ts-expect-error` lines are misuses the typings must refuse.
import { BoardSync, CommandError, PROTOCOL, newId } from '../../canvas_client/web/sync.js';
import type { Element, Op, Participant, SyncEvents } from '../../canvas_client/web/sync.js';

const sync = new BoardSync({
  board: 'b1',
  token: 't',
  name: 'Ada',
  origin: 'http://127.0.0.1:8000',
  clientId: 'host-1',
  beforePush(ops: Op[]): Op[] {
    for (const op of ops) if (op.op === 'patch' && 'author' in (op.set ?? {})) throw new Error('no');
    return ops;
  },
});

const protocolOk: boolean = PROTOCOL === 1;
sync.on('welcome', (w) => {
  const n: number = w.protocol + w.clock;
  const first: Element | undefined = w.elements[0];
  void n; void first; void protocolOk;
});
sync.on('change', ({ ids, reason }) => {
  if (ids === null) return;
  for (const id of ids) {
    const el = sync.elements.get(id);
    if (el && el.kind === 'domain') console.log(reason, el.id);
  }
});
sync.on('refused', ({ status, code, message }) => {
  const s: number = status;
  console.log(s, code.toUpperCase(), message);
});
sync.on('closed', ({ code, status }) => console.log(code, status ?? 0));
sync.on('rejected', (ack) => console.log(ack.code, ack.op ?? -1, ack.ops?.length ?? 0));
sync.on('presence', ({ participants }) => {
  const p: Participant[] = participants;
  console.log(p.map((x) => x.cursor?.[0] ?? null));
});
sync.on('event', (event) => {
  if (event.name === 'timer') console.log(event.timer?.ends ?? 0);
  if (event.name === 'lock') console.log(event.ids.length, event.locked);
});
type ChangePayload = SyncEvents['change'];
const reasons: ChangePayload['reason'][] = ['local', 'remote'];
void reasons;

sync.connect();
const id = newId('d');
const { ack } = sync.push([
  { op: 'put', el: { id, kind: 'domain', x: 0, y: 0, z: 'a0', label: 'Jeugd', r: 80 } },
  { op: 'patch', id, set: { x: 10 } },
  { op: 'del', id },
]);
ack.then((a) => (a.ok ? a.clock : a.code));
sync.presence({ cursor: null });
sync.presence({ cursor: [1, 2], selection: [id] });
sync.cmd('lock', { ids: [id] }).catch((err: CommandError) => console.log(err.code));

// @ts-expect-error: no such event
sync.on('nonsense', () => {});
// @ts-expect-error: an op needs an op kind
sync.push([{ id: 'x' }]);
// @ts-expect-error: a cursor is two numbers
sync.presence({ cursor: [1] });
// @ts-expect-error: refused carries a numeric status
sync.on('refused', ({ status }) => status.toUpperCase());
