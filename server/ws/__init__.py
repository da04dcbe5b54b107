"""WebSocket I/O: the endpoint, connections, inbound dispatch, frames."""
