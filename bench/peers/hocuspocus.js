// Hocuspocus (Yjs) with its defaults: in memory, no extensions, no auth hook.
//   node hocuspocus.js PORT
'use strict';
const { Server } = require('@hocuspocus/server');

const port = Number(process.argv[2] || 9002);
const server = new Server({ port, address: '127.0.0.1', quiet: true, stopOnSignals: true });
server.listen().then(() => console.log(`hocuspocus listening on 127.0.0.1:${port}`));
