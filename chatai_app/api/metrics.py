"""Request metrics middleware and the supervisor's process metrics (Prometheus)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import suppress

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatai_app.supervision import read_status

REQUESTS = Counter("chatai_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("chatai_http_request_seconds", "HTTP request latency", ["method", "route"])


class MetricsMiddleware:
    """Counts requests by route template (not raw path, to keep label cardinality low)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)


class SupervisorCollector(Collector):
    """Read at scrape time from the status file `chatai run` keeps (the supervisor is another process)."""

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        status = read_status()
        if status is None:
            return
        up = GaugeMetricFamily("chatai_process_up", "1 while the supervised process runs", labels=["process"])
        restarts = CounterMetricFamily(
            "chatai_process_restarts", "Restarts of a supervised process after it died", labels=["process"]
        )
        for name, info in sorted(status.get("processes", {}).items()):
            up.add_metric([name], 0.0 if status["stale"] or info.get("state") != "running" else 1.0)
            restarts.add_metric([name], float(info.get("restarts", 0)))
        yield up
        yield restarts
        if database := status.get("database") or {}:
            database_up = float(database.get("state") == "up")
            yield GaugeMetricFamily("chatai_database_up", "1 while the supervisor sees the database", value=database_up)
            restarts_db = float(database.get("restarts", 0))
            yield CounterMetricFamily("chatai_database_restarts", "Embedded PostgreSQL restarts", value=restarts_db)
        stale = float(status["stale"])
        yield GaugeMetricFamily("chatai_supervisor_stale", "1 when the supervisor stopped reporting", value=stale)


with suppress(ValueError):  # registered already (the module imported twice under another name)
    REGISTRY.register(SupervisorCollector())
