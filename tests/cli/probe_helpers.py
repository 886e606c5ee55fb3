"""Helpers the probe commands' tests share (ping, traceroute, arping, scan): servers in b, links, records.

Linux answers at most 6 ICMP errors at once and then one a second; the labs of these tests turn
that limit off (answer_every_probe: net.ipv4.icmp_ratelimit=0).
"""

from __future__ import annotations

import select
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rawnet.net.lab import Lab
from tests.cli.conftest import RAWNET, assert_one_line_error, json_lines
from tests.privilege import without

NOBODY = "198.18.1.99"  # in the pair's subnet, but no host has it: nothing answers


def link(lab: Lab, host: str, peer: str) -> str:
    return lab[host].interfaces[peer].name


@contextmanager
def listening(lab: Lab, *ports: int, family: int = socket.AF_INET) -> Iterator[None]:
    """Real TCP servers in b on ``ports`` (the kernel answers a SYN with a SYN-ACK)."""
    servers = []
    try:
        for port in ports:
            server = lab.socket("b", family, socket.SOCK_STREAM)
            servers.append(server)
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
            server.listen()
        yield
    finally:
        for server in servers:
            server.close()


@contextmanager
def udp_server(
    lab: Lab, port: int, *, echo: bool = True, delay: float = 0.0, copies: int = 1
) -> Iterator[list[str]]:
    """A UDP socket bound in b: it echoes each datagram ``copies`` times after ``delay`` (or stays
    silent); yields its log."""
    log: list[str] = []
    sock = lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", port))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            if not select.select([sock], [], [], 0.05)[0]:
                continue
            data, peer = sock.recvfrom(2048)
            log.append(peer[0])
            if echo:
                time.sleep(delay)
                for _ in range(copies):
                    sock.sendto(data or b"hello", peer)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield log
    finally:
        stop.set()
        thread.join()
        sock.close()


def statistics(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    records = json_lines(result.stdout)
    assert records and records[-1]["type"] == "statistics", result.stdout
    return records[-1]


def assert_needs_cap_net_raw(lab: Lab, command: str) -> None:
    """``rawnet COMMAND`` run without CAP_NET_RAW: one line naming it, exit 3."""
    argv = without("net_raw", [*RAWNET, command, lab["b"].ipv4])
    assert_one_line_error(lab.run("a", argv, timeout=30), 3, f"rawnet {command}", "CAP_NET_RAW")
