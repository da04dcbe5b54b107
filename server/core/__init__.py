"""The pure core: board state and its rules, codec, tokens, presence, errors.

Nothing here does I/O or imports asyncio, starlette or redis
(tests/test_layers.py checks it).
"""
