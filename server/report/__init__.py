"""Pure outputs drawn from a board: insights (TTTR analysis) and the SVG picture.

Nothing here does I/O or imports asyncio, starlette or redis.
"""
