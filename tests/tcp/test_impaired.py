"""1 MiB downloads by rawnet.tcp through a router that loses packets (iptables' statistic match,
the kernel's own drops) and one that reorders them (a forwarder through rawnet's sockets): the
bytes equal the file, the losses and reorderings really happened, rawnet's ACKs carried SACK
blocks for what was missing, and no RST was on the wire."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rawnet import tcp
from rawnet.net.lab import Lab
from tests.cli.conftest import tcpdump, tshark_fields
from tests.tcp.conftest import body, get, sha
from tests.tcp.impair import Forwarder, drop, http_server

SIZE = 1 << 20
PORT = 8080


@dataclass
class Path3:
    lab: Lab
    digest: str


@pytest.fixture(scope="module")
def path3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path3]:
    """a - r1 - b; b serves /file (1 MiB)."""
    root = tmp_path_factory.mktemp("www")
    data = os.urandom(SIZE)
    (root / "file").write_bytes(data)
    with Lab.line(routers=1) as lab, http_server(lab, "b", str(root), PORT):
        yield Path3(lab, sha(data))


def _download(path3: Path3, family: str, capture: Path) -> tcp.Connection:
    lab = path3.lab
    dst = getattr(lab["b"], family)
    interface = next(iter(lab["a"].interfaces.values())).name
    with (
        tcpdump(lab, "a", interface, "tcp", capture, burst=True),
        tcp.connect(dst, PORT, netns=lab["a"].netns, min_rto=0.2) as conn,
    ):
        conn.send(get("/file", dst if family == "ipv4" else f"[{dst}]"))
        response = conn.recv_all(timeout=60)
    assert sha(body(response)) == path3.digest
    return conn


def _sacks_and_resets(capture: Path, local: str) -> tuple[int, int]:
    rows = tshark_fields(capture, "ip.src", "ipv6.src", "tcp.options.sack_le", "tcp.flags.reset")
    sacks = sum(1 for row in rows if local in row[:2] and row[2])
    resets = sum(1 for row in rows if row[3] in ("1", "True"))
    return sacks, resets


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_one_percent_loss(path3: Path3, family: str, tmp_path: Path) -> None:
    with drop(path3.lab, "r1", 0.01, towards="a") as drops:
        conn = _download(path3, family, tmp_path / "loss.pcap")
    assert drops.dropped.get("a", 0) >= 1, "the router dropped nothing: the test tested nothing"
    sacks, resets = _sacks_and_resets(tmp_path / "loss.pcap", conn.local[0])
    assert resets == 0
    assert conn.counters.out_of_order >= 1 and sacks >= 1  # the holes were reported


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_reordering(path3: Path3, family: str, tmp_path: Path) -> None:
    with Forwarder(path3.lab, "r1", reorder_every=10, hold=3, towards="a", seed=3) as forwarder:
        conn = _download(path3, family, tmp_path / "reorder.pcap")
    assert forwarder.counters.held >= 20
    sacks, resets = _sacks_and_resets(tmp_path / "reorder.pcap", conn.local[0])
    assert resets == 0
    # (one ACK goes out per batch of frames read: a hole filled within the batch needs no SACK)
    assert conn.counters.out_of_order >= 10 and sacks >= 1


def test_loss_and_reordering_at_once(path3: Path3, tmp_path: Path) -> None:
    with Forwarder(path3.lab, "r1", reorder_every=7, hold=2, loss=0.02, seed=11) as forwarder:
        conn = _download(path3, "ipv4", tmp_path / "both.pcap")
    assert forwarder.counters.dropped >= 5 and forwarder.counters.held >= 20
    assert _sacks_and_resets(tmp_path / "both.pcap", conn.local[0])[1] == 0
