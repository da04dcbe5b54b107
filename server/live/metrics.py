"""Prometheus metrics of one server process (``GET /metrics``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.connections = Gauge(
            "tussentafel_connections", "Open WebSocket connections", registry=self.registry
        )
        self.boards = Gauge(
            "tussentafel_boards_live", "Boards with a live room", registry=self.registry
        )
        self.ops = Counter("tussentafel_ops", "Ops received in pushes", registry=self.registry)
        self.changes = Counter(
            "tussentafel_changes", "Changes committed by this process", registry=self.registry
        )
        self.rejects = Counter(
            "tussentafel_rejects", "Refused messages and batches by code", ["code"],
            registry=self.registry,
        )
        self.queue_drops = Counter(
            "tussentafel_slow_closes",
            "Connections closed as too slow (4408): a full send queue, or a welcome not read "
            "in time",
            registry=self.registry,
        )
        self.welcome_bytes = Gauge(
            "tussentafel_welcome_unread_bytes",
            "Bytes of welcomes queued or buffered for joiners that have not read them yet "
            "(bounded by TUSSENTAFEL_MAX_UNREAD_WELCOME_BYTES)",
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "tussentafel_ack_seconds",
            "Push received to its ack sent (ok or not; an ok ack is durable)",
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.commit_seconds = Histogram(
            "tussentafel_commit_seconds",
            "Time to make a group of changes durable (the part of ack latency the store adds)",
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.big_reads = Counter(
            "tussentafel_big_reads",
            "Big reads made (welcome elements, state, snapshot, svg, insights), off the event "
            "loop; the same read of the same board clock is served from the cache",
            ["what"], registry=self.registry,
        )
