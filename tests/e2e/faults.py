"""A fault-injecting HTTP proxy on 127.0.0.1, in front of moto_server.

The tool under test talks to the proxy (`--endpoint-url`); the proxy forwards every request to
moto unchanged, except those that match a rule: then it answers with what a broken network or a
broken service would send — an HTML page with HTTP 200, a reply with a field taken out, a reply
that never comes, one that trickles a byte every few seconds. Rules match on the operation name
(`DescribeContainerInstances`), read from the JSON target header or the query `Action`.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

# What a rule does with a matching request: given the upstream reply (status, headers, body) or
# nothing, write an answer itself (`handler.wfile`) or return (status, content type, body).
Reply = tuple[int, str, bytes]


@dataclass
class Rule:
    operation: str
    action: Callable[[Any, Reply], Reply | None]
    times: int | None = None  # None: every matching request
    hits: int = 0


def operation_of(headers: Any, body: bytes, path: str) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return str(target).rsplit(".", 1)[-1]
    params = parse_qs(body.decode("utf-8", "replace")) or parse_qs(urlparse(path).query)
    return params.get("Action", ["?"])[0]


@dataclass
class FaultProxy:
    upstream: str
    rules: list[Rule] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------- rules

    def on(
        self, operation: str, action: Callable[[Any, Reply], Reply | None], times: int | None = None
    ) -> None:
        self.rules.append(Rule(operation, action, times))

    def reset(self) -> None:
        """Forget the rules; release every answer that is being held back."""
        self.rules.clear()
        self.seen.clear()
        self.stopping.set()
        self.stopping = threading.Event()

    def _rule_for(self, operation: str) -> Rule | None:
        for rule in self.rules:
            if rule.operation == operation and (rule.times is None or rule.hits < rule.times):
                rule.hits += 1
                return rule
        return None

    # ------------------------------------------------------------- serving

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                operation = operation_of(self.headers, body, self.path)
                proxy.seen.append(operation)
                up = urlparse(proxy.upstream)
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                reply: Reply = (
                    response.status,
                    response.getheader("Content-Type") or "application/octet-stream",
                    response.read(),
                )
                conn.close()
                rule = proxy._rule_for(operation)
                if rule is not None:
                    answer = rule.action(self, reply)
                    if answer is None:  # the action answered (or chose never to)
                        self.close_connection = True
                        return
                    reply = answer
                status, content_type, payload = reply
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# ----------------------------------------------------------------- actions


def html_page(status: int = 200) -> Callable[[Any, Reply], Reply]:
    """A captive portal or a load balancer's error page instead of the API's answer."""
    return lambda handler, reply: (status, "text/html", b"<html><body><h1>Hello</h1></body></html>")


def body(payload: bytes, status: int = 200, content_type: str = "application/x-amz-json-1.1") -> Any:
    return lambda handler, reply: (status, content_type, payload)


def mutate_json(change: Callable[[dict[str, Any]], None]) -> Callable[[Any, Reply], Reply]:
    """The real answer, changed by `change` (a JSON-protocol reply)."""

    def action(handler: Any, reply: Reply) -> Reply:
        status, content_type, payload = reply
        doc = json.loads(payload)
        change(doc)
        return status, content_type, json.dumps(doc).encode()

    return action


def hang(proxy: FaultProxy) -> Callable[[Any, Reply], None]:
    """Never answer: hold the connection open until the test ends."""

    def action(handler: Any, reply: Reply) -> None:
        proxy.stopping.wait(600)

    return action


def trickle(proxy: FaultProxy, every: float = 1.0) -> Callable[[Any, Reply], None]:
    """Headers at once, then one byte of the body every `every` seconds, forever."""

    def action(handler: Any, reply: Reply) -> None:
        status, content_type, payload = reply
        stopping = proxy.stopping
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(payload) + 10**6))
            handler.end_headers()
            handler.wfile.flush()
            for byte in iter(lambda: b" ", None):
                if stopping.wait(every):
                    return
                handler.wfile.write(byte)
                handler.wfile.flush()
        except OSError:
            return

    return action


def throttle() -> Callable[[Any, Reply], Reply]:
    payload = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
    return lambda handler, reply: (400, "application/x-amz-json-1.1", payload)


def started(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream=upstream)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
        time.sleep(0)
