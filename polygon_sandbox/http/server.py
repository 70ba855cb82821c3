"""The HTTP server (standard library): a thread per connection, keep-alive, and the app's
answers written as they are, or the connection dropped, after the app's wait."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from .replies import Reply


class App(Protocol):
    """What the server serves (the Sandbox). Both are looked up on every request, so a test or
    benchmark may replace them on the instance."""

    sleep: Callable[[float], None]

    def process(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[Reply, bool, float]:
        """(reply, drop the connection?, seconds to wait before the first byte)."""
        ...


class HttpServer:
    """The listening socket and its serving thread."""

    def __init__(self, app: App, host: str, port: int) -> None:
        self._server = _Server((host, port), _Handler)
        self._server.app = app
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="polygon-sandbox", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    """A thread per connection: a delayed response holds up only its own connection."""

    daemon_threads = True
    # The listen backlog: the default 5 drops connections (a 1 s SYN retry) when a client
    # opens many at once, as one keeping dozens of requests in flight does.
    request_queue_size = 128
    app: App


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API; every reply has Content-Length
    server_version = "polygon-sandbox"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = dict(self.headers.items())
        app = self.server.app
        reply, drop, delay = app.process(method, self.path, headers, body)
        if delay:
            app.sleep(delay)  # before the first byte, as network latency would
        if drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the request log lives in Sandbox.requests (and stderr with log_requests)."""
