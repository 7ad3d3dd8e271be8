"""Whether the worker makes progress, for its readiness probe and `slawatch_worker_ready`.

Why: a worker whose agent had crashed, or whose every flush to PostgreSQL failed, used to
keep answering on /metrics and so looked healthy while the figures of every client froze.
Progress is judged from what the worker itself sees: events waiting on an owned partition
(consumer lag) with no batch finished for `stall_seconds`, or flushes failing for as long,
or, at once, a family's state rows not reaching the Kafka producer (no batch of it can finish
until they do, services/metrics/publishing.py). An idle worker (no lag) is ready.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app


@dataclass
class Progress:
    """When the worker last moved; `problems(now)` lists why it is not ready (none: ready)."""

    stall_seconds: float = 120.0
    # Per family: since when events have waited without a batch of that family finishing.
    waiting_since: dict[str, float] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)
    flush_failing_since: float | None = None
    # Per family: since when its state rows have failed to reach the producer.
    publish_failing_since: dict[str, float] = field(default_factory=dict)

    def batch_done(self, family: str) -> None:
        self.waiting_since.pop(family, None)

    def lag_seen(self, family: str, lag: int, now: float) -> None:
        self.waiting[family] = lag
        if lag > 0:
            self.waiting_since.setdefault(family, now)
        else:
            self.waiting_since.pop(family, None)

    def flush_done(self, ok: bool, now: float) -> None:
        if ok:
            self.flush_failing_since = None
        elif self.flush_failing_since is None:
            self.flush_failing_since = now

    def publish_done(self, family: str, ok: bool, now: float) -> None:
        if ok:
            self.publish_failing_since.pop(family, None)
        else:
            self.publish_failing_since.setdefault(family, now)

    def problems(self, now: float) -> list[str]:
        found = [
            f"{family}: {self.waiting.get(family, 0)} events waiting, no batch done for "
            f"{now - since:.0f} s"
            for family, since in sorted(self.waiting_since.items())
            if now - since >= self.stall_seconds
        ]
        found += [
            f"{family}: state rows not reaching the Kafka producer for {now - since:.0f} s"
            for family, since in sorted(self.publish_failing_since.items())
        ]
        failing = self.flush_failing_since
        if failing is not None and now - failing >= self.stall_seconds:
            found.append(f"flushes to PostgreSQL failing for {now - failing:.0f} s")
        return found


def make_app(
    registry: CollectorRegistry, progress: Progress, clock: Callable[[], float]
) -> Callable[..., Iterable[bytes]]:
    """WSGI app: `/readyz` answers 200 or 503 with the problems; any other path, the metrics."""
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/readyz":
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        problems = progress.problems(clock())
        status = "503 Service Unavailable" if problems else "200 OK"
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [("\n".join(problems) or "ready").encode() + b"\n"]

    return app


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Probes every few seconds: no access log."""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve(app: Callable[..., Iterable[bytes]], addr: str, port: int) -> WSGIServer:
    """Serve `app` from a daemon thread, as prometheus_client's own server does."""
    httpd = make_server(addr, port, app, _ThreadingServer, handler_class=_Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd
