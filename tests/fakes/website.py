"""A local website for the import tests: pages, redirects, a robots.txt, a sitemap; it records every request."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Page = tuple[int, dict[str, str], bytes]  # status, headers, body


class _Handler(BaseHTTPRequestHandler):
    server: FakeWebsite

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append((time.monotonic(), self.path, self.headers.get("Host", "")))
        status, headers, body = self.server.pages.get(
            self.path, (404, {"Content-Type": "text/html"}, b"<h1>Not found</h1>")
        )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FakeWebsite(ThreadingHTTPServer):
    pages: dict[str, Page]
    requests: list[tuple[float, str, str]]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def html(self, path: str, title: str, body: str) -> None:
        page = f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>{body}</body></html>"
        self.pages[path] = (200, {"Content-Type": "text/html; charset=utf-8"}, page.encode())

    def redirect(self, path: str, target: str, status: int = 301) -> None:
        self.pages[path] = (status, {"Location": target}, b"")

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.requests]


@contextmanager
def running_website() -> Iterator[FakeWebsite]:
    server = FakeWebsite(("127.0.0.1", 0), _Handler)
    server.pages, server.requests = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
