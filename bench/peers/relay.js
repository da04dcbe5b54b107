// The bare Node relay: the practical floor for the Tussentafel protocol.
// Decode each message, stamp a sequence number, re-encode once, send to the room.
// No validation, no persistence, no auth. Presence is coalesced per room at 20 Hz,
// as the Tussentafel server does (docs/protocol.md 3.2), so both carry the same traffic.
//   node relay.js PORT
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');
const { Packr } = require('msgpackr');

const packr = new Packr({ useRecords: false, mapsAsObjects: true });
const port = Number(process.argv[2] || 9001);
const rooms = new Map(); // path -> { conns: Set, seq, presence: Map, dirty: Set }

function room(path) {
  let r = rooms.get(path);
  if (!r) {
    r = { conns: new Set(), seq: 0, presence: new Map(), dirty: new Set() };
    rooms.set(path, r);
  }
  return r;
}

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
});
const wss = new WebSocketServer({
  server,
  perMessageDeflate: false,
  maxPayload: 1 << 20,
  handleProtocols: (protocols) => (protocols.has('tussentafel.v1.msgpack') ? 'tussentafel.v1.msgpack' : false),
});

let nextId = 1;
wss.on('connection', (ws, req) => {
  const r = room(req.url);
  const me = 'p' + nextId++;
  ws.on('message', (data, isBinary) => {
    let msg;
    try { msg = packr.unpack(data); } catch (e) { return; }
    if (!msg || typeof msg !== 'object') return;
    if (msg.type === 'push') {
      const clock = ++r.seq;
      const out = packr.pack({ type: 'patch', clock, by: me, time: Date.now(), ops: msg.ops });
      for (const c of r.conns) if (c !== ws && c.readyState === 1) c.send(out);
      ws.send(packr.pack({ type: 'ack', id: msg.id, ok: true, clock, time: Date.now() }));
    } else if (msg.type === 'presence') {
      r.presence.set(me, { id: me, online: true, cursor: msg.cursor });
      r.dirty.add(me);
    } else if (msg.type === 'hello') {
      r.conns.add(ws);
      ws.send(packr.pack({ type: 'welcome', board: req.url, clock: r.seq, role: 'participant', you: me,
        full: true, elements: [], deleted: [], participants: [], time: Date.now() }));
    } else if (msg.type === 'ping') {
      ws.send(packr.pack({ type: 'pong', time: Date.now() }));
    }
  });
  ws.on('close', () => { r.conns.delete(ws); r.presence.delete(me); });
  ws.on('error', () => {});
});

setInterval(() => {
  for (const r of rooms.values()) {
    if (!r.dirty.size) continue;
    const list = [];
    for (const id of r.dirty) { const p = r.presence.get(id); if (p) list.push(p); }
    r.dirty.clear();
    const out = packr.pack({ type: 'presence', participants: list });
    for (const c of r.conns) if (c.readyState === 1) c.send(out);
  }
}, 50);

server.listen(port, '127.0.0.1', () => console.log(`relay listening on 127.0.0.1:${port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
