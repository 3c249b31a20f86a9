"""A local webhook receiver for the notifier's tests: a threaded HTTP(S) server on 127.0.0.1."""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes


class LocalReceiver:
    """A threaded HTTP server on 127.0.0.1 that records every connection and request.

    ``plan[path]`` is a list of ``(status, headers)`` answered in turn; then 200.
    ``/drip`` answers a complete 200 one byte every 0.05 s (about 4 s in all): every read is
    quick, only a total time budget stops it.
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.seen: list[Seen] = []
        self.connections = 0
        self.sni: list[str | None] = []
        self.plan: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.stop = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.seen.append(Seen(self.path, dict(self.headers.items()), body))
                    planned = receiver.plan.get(self.path)
                    status, headers = planned.pop(0) if planned else (200, {})
                if self.path == "/drip":
                    self._drip()
                    return
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def _drip(self) -> None:
                answer = (
                    b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 40 + b"\r\nContent-Length: 0\r\n\r\n"
                )
                try:
                    for byte in answer:
                        if receiver.stop.wait(0.05):
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                except OSError:
                    return  # the client hung up, as it should

            def log_message(self, format: str, *args: Any) -> None:
                return

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request: Any, client_address: Any) -> bool:
                with receiver._lock:
                    receiver.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        if tls is not None:

            def remember_sni(sock: Any, name: str | None, context: Any) -> None:
                receiver.sni.append(name)

            tls.sni_callback = remember_sni
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def paths(self) -> list[str]:
        return [seen.path for seen in self.seen]
