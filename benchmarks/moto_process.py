"""A moto server with the realism layer, in a process of its own, for the benchmarks.

In its own process the emulator has its own interpreter lock and core, so what a benchmark
measures in its own process (wall time, traced memory) is the scan's, not the emulator's. The
server answers like AWS where the realism layer can make it (tasks stay RUNNING, ListTasks and
DescribeNetworkInterfaces paged, DescribeTasks without moto's scan of every task), and adds
`--latency-ms` to every request once the account is built (`POST /_bench/latency`), so that
callers in other processes all see the same latency. `POST /_bench/phase` names the phase that
follows and answers, for each phase so far, how many requests and 5xx answers (an API moto does not
implement) it saw and the server's CPU seconds in it.

    with MotoProcess() as server:
        build(server.url, ...)
        server.phase("ours", latency_ms=75)
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class Metered:
    """WSGI middleware: the latency and the per-phase counts, and the `/_bench/` controls."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.phase, self.latency = "build", 0.0
        self.requests: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.cpu: dict[str, float] = {}  # the server's CPU seconds in each phase
        self._cpu_mark = time.process_time()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_bench/"):
            return self._control(path, environ, start_response)
        phase = self.phase
        if self.latency:
            time.sleep(self.latency)  # each request its own thread: waits overlap, as AWS's do

        def counting(status: str, headers: Any, *rest: Any) -> Any:
            self._count(phase, failed=status.startswith("5"))
            return start_response(status, headers, *rest)

        try:
            return self.app(environ, counting)
        except Exception:  # moto raised (NotImplementedError): werkzeug answers 500 itself
            self._count(phase, failed=True)
            raise

    def _count(self, phase: str, failed: bool) -> None:
        with self._lock:
            self.requests[phase] += 1
            self.failed[phase] += failed

    def _control(self, path: str, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if path == "/_bench/phase":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(size) or b"{}")
            now = time.process_time()
            self.cpu[self.phase] = self.cpu.get(self.phase, 0.0) + now - self._cpu_mark
            self._cpu_mark = now
            self.phase, self.latency = body["phase"], float(body.get("latency_ms", 0)) / 1000
        answer = json.dumps({"requests": self.requests, "failed": self.failed, "cpu": self.cpu}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [answer]


def serve(port: int) -> None:
    """Run the server until stdin closes (the benchmark that started it has finished)."""
    sys.path.insert(0, str(ROOT))
    from moto.server import ThreadedMotoServer

    from auditor.demo.realism import moto_like_aws

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # a traceback per unimplemented API
    with moto_like_aws():
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        server._server.app = Metered(server._server.app)  # type: ignore[union-attr]
        print("ready", flush=True)
        sys.stdin.read()
        server.stop()


class MotoProcess:
    """Start `serve` in a child process on a free loopback port; stop it on exit."""

    def __enter__(self) -> MotoProcess:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._child = subprocess.Popen(
            [sys.executable, __file__, "--port", str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._child.stdout is not None and self._child.stdout.readline().strip() == "ready"
        return self

    def phase(self, name: str, latency_ms: float = 0.0) -> dict[str, dict[str, float]]:
        """Name the phase that follows and its latency; the counts so far."""
        body = json.dumps({"phase": name, "latency_ms": latency_ms}).encode()
        with urllib.request.urlopen(f"{self.url}/_bench/phase", data=body, timeout=30) as answer:
            return json.loads(answer.read())  # type: ignore[no-any-return]

    def __exit__(self, *_: object) -> None:
        assert self._child.stdin is not None
        self._child.stdin.close()
        self._child.wait(timeout=60)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    serve(parser.parse_args().port)
