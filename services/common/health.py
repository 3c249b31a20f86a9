"""A tiny HTTP server for /healthz, /readyz and /metrics.

Kubernetes probes and Prometheus need three cheap endpoints; the stdlib server on a daemon
thread serves them without pulling a web framework into every stage.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

Check = Callable[[], tuple[bool, str]]


class HealthServer:
    """Serves liveness, readiness and metrics until ``close``."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        registry: CollectorRegistry,
        alive: Check,
        ready: Check,
    ) -> None:
        routes: dict[str, Callable[[], tuple[int, str, bytes]]] = {
            "/healthz": lambda: _probe(alive),
            "/readyz": lambda: _probe(ready),
            "/metrics": lambda: (200, CONTENT_TYPE_LATEST, generate_latest(registry)),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = routes.get(self.path.split("?", 1)[0])
                status, content_type, body = (
                    route() if route else (404, "text/plain", b"not found\n")
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                # Probes hit every few seconds; access logs would drown the service's own.
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health-server", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _probe(check: Check) -> tuple[int, str, bytes]:
    ok, detail = check()
    return (
        (200 if ok else 503),
        "text/plain",
        f"{'ok' if ok else 'unavailable'}: {detail}\n".encode(),
    )
