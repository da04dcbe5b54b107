"""Live boards (asyncio): rooms and their commit path, commands, snapshots,
the insights feed, pacing and metrics."""
