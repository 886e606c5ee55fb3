"""A lab pair whose host b serves a file over HTTP (Python's http.server: kernel TCP)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rawnet.net.lab import Lab
from tests.tcp.impair import http_server

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
    """Lab a - b; b's http.server (IPv4 and IPv6) serves /file, 1 MiB of random bytes."""
    root = tmp_path_factory.mktemp("www")
    data = os.urandom(SIZE)
    (root / "file").write_bytes(data)
    with Lab.pair() as lab, http_server(lab, "b", str(root), PORT):
        yield Site(lab, PORT, data, hashlib.sha256(data).hexdigest())


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
