"""pycrdt-websocket (Yjs, y-websocket protocol), in memory, on uvicorn with uvloop +
httptools + websockets-sansio (the same stack as Tussentafel).

    bench/peers/.venv/bin/python bench/peers/pycrdt_server.py PORT
"""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from pycrdt.websocket import ASGIServer, WebsocketServer

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9003
websocket_server = WebsocketServer(auto_clean_rooms=False)
inner = ASGIServer(websocket_server)
background: set[asyncio.Task[None]] = set()  # keeps the server's task referenced


Message = dict[str, Any]


async def app(scope: Message, receive: Callable[[], Awaitable[Message]],
              send: Callable[[Message], Awaitable[None]]) -> None:
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"ok":true}'})
        return
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                background.add(asyncio.create_task(websocket_server.start()))
                await websocket_server.started.wait()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await websocket_server.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return
    await inner(scope, receive, send)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
                ws="websockets-sansio", ws_per_message_deflate=False, log_level="warning",
                lifespan="on")
