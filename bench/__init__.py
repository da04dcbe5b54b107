"""Benchmarks of Tussentafel against real peers (``python -m bench --help``); not tests."""
