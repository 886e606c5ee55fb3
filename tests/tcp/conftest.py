"""A lab pair whose host b serves files over HTTP (Python's http.server, kernel TCP)."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rawnet.net.lab import Lab
from tests.servers import started

PORT = 8080
SIZE = 1 << 20


@dataclass
class Site:
    lab: Lab
    port: int
    data: bytes
    digest: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Lab a - b; b's http.server (on :: : IPv4 and IPv6) serves /file, 1 MiB of random bytes."""
    root = tmp_path_factory.mktemp("www")
    data = os.urandom(SIZE)
    (root / "file").write_bytes(data)
    with Lab.pair() as lab:
        argv = [sys.executable, "-u", "-c", SERVE, str(root), str(PORT)]
        with started(lab, "b", argv, lambda line: "serving" in line, 10):
            yield Site(lab, PORT, data, hashlib.sha256(data).hexdigest())


#: http.server on both families, saying so on stderr once it listens; HTTP/1.0, one request a connection.
SERVE = """
import functools, http.server, socket, sys
class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
handler = functools.partial(Quiet, directory=sys.argv[1])
with Server(("::", int(sys.argv[2])), handler) as server:
    print("serving", file=sys.stderr, flush=True)
    server.serve_forever()
"""


def get(path: str, host: str) -> bytes:
    """An HTTP/1.0 GET request."""
    return f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode()


def body(response: bytes) -> bytes:
    head, _, rest = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200"), head[:80]
    return rest


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pcap(tmp_path: Path, name: str = "capture.pcap") -> Path:
    return tmp_path / name
