"""`make bench`, sixth part: 10 MB downloaded through a 1 Gbit/s path, rawnet.tcp against curl (root, a lab).

Lab.line(routers=1): a - r1 - b, r1 forwarding in its kernel and shaping both its links to
1 Gbit/s (tc tbf). b serves a 10 MB file of random bytes with Python's http.server (HTTP/1.0:
one connection per request, closed by the server after the body; unshaped, it serves curl
several times faster than 1 Gbit/s, so the shaper is the limit). The clients in a download it
several times each, interleaved (each round starts with the next client), and every download's
bytes are checked against the file (sha256):

- curl: the kernel's TCP;
- rawnet http GET URL -o FILE: the command, over rawnet.tcp;
- rawnet.tcp.connect and a hand-written HTTP/1.0 GET: the API, in this script's "api" role.

Two times for each download: on
the wire, from the client's SYN to the first FIN as tcpdump on r1 sees them (start-up,
imports, address probing and the close excluded, for every client alike), and the whole
process. The figures are the medians of the file's bits over those times; the ratio is to
curl's in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rawnet import TCP
from rawnet.net import Lab, PcapReader

PORT = 8080
#: tbf on r1's two links. The bucket (burst) holds 1 ms at the rate: far more than one frame, and
#: enough that a watchdog timer waking up to a millisecond late does not leave the link idle; a
#: larger one lets bursts through above the rate (a 1 MB bucket measured ~1,050 Mbit/s here for
#: 10 MB), this one at most 1.25% of the file. latency bounds the queue behind the shaper at
#: 10 ms of traffic (1.25 MB): room for TCP's bursts without tail drops at the lab's RTTs.
RATE, BURST, LATENCY = "1gbit", "125000b", "10ms"
#: http.server on every address of b, quiet, saying "serving" on stderr once it listens.
SERVER = """
import functools, http.server, socket, sys
class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *arguments):
        pass
server = Server(("::", int(sys.argv[2])), functools.partial(Handler, directory=sys.argv[1]))
print("serving", file=sys.stderr, flush=True)
server.serve_forever()
"""


def api_role(argv: list[str]) -> None:
    """Run inside namespace a: python bench/tcp.py api ADDRESS PORT PATH OUT (rawnet.tcp's API)."""
    address, port, path, out = argv[0], int(argv[1]), argv[2], argv[3]
    from rawnet.tcp import connect

    connection = connect(address, port)
    connection.send(f"GET {path} HTTP/1.0\r\nHost: {address}:{port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = connection.recv(1 << 20)
        if not chunk:
            raise SystemExit(f"the connection ended in the response's head: {head!r}")
        head += chunk
    status, _, body = head.partition(b"\r\n\r\n")
    if not status.startswith(b"HTTP/1.0 200"):
        raise SystemExit(f"the server answered {status.splitlines()[0]!r}")
    with open(out, "wb") as file:
        file.write(body)
        while chunk := connection.recv(1 << 20):
            file.write(chunk)
    connection.close()


@dataclass
class Download:
    """One download: when its process ran (time.time()), whether its bytes were right."""

    started: float
    ended: float
    correct: bool


@dataclass
class Client:
    """A downloading client: the command run in a, given the output file."""

    name: str
    argv: Callable[[Path], list[str]]


def shape(lab: Lab) -> None:
    for interface in lab["r1"].interfaces.values():
        lab.run("r1", ["tc", "qdisc", "replace", "dev", interface.name, "root", "tbf",
                       "rate", RATE, "burst", BURST, "latency", LATENCY], check=True)  # fmt: skip


def tbf_drops(lab: Lab) -> int:
    shown = lab.run("r1", ["tc", "-s", "qdisc", "show"], check=True).stdout
    words = shown.replace(",", " ").replace("(", " ").split()
    return sum(int(words[at + 1]) for at, word in enumerate(words) if word == "dropped")


def download(lab: Lab, client: Client, out: Path, digest: str) -> Download:
    out.unlink(missing_ok=True)
    started = time.time()
    result = lab.run("a", client.argv(out))
    ended = time.time()
    correct = (
        result.returncode == 0 and out.exists() and hashlib.sha256(out.read_bytes()).hexdigest() == digest
    )
    if not correct:
        print(f"  {client.name}: exit {result.returncode}, {result.stderr.strip()[-300:]}", file=sys.stderr)
    return Download(started, ended, correct)


def wire_times(path: Path) -> list[tuple[float, float]]:
    """(client's SYN, first FIN) times of each connection to PORT in a capture of r1: the first FIN
    is the server's after the body's last byte, or the client's once it had them all (curl's)."""
    syn: dict[int, float] = {}
    fin: dict[int, float] = {}
    with PcapReader(str(path)) as reader:
        for packet in reader:
            segment = packet[TCP]
            flags = int(segment.flags)
            client = segment.sport if segment.dport == PORT else segment.dport
            if segment.dport == PORT and flags & 0x02 and not flags & 0x10:
                syn.setdefault(client, packet.time)
            elif flags & 0x01 and client in syn:
                fin.setdefault(client, packet.time)
    return sorted((syn[port], fin[port]) for port in syn if port in fin)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "api":
        api_role(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10_000_000, help="bytes of the file")
    parser.add_argument(
        "--rounds", type=int, default=5, help="downloads of each client, interleaved (median)"
    )
    options = parser.parse_args()
    for tool in ("curl", "tcpdump", "tc"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (make bench installs curl, tcpdump, iproute2)")
    with Lab.line(routers=1) as lab, tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        (scratch / "www").mkdir()
        content = os.urandom(options.size)
        (scratch / "www" / "file").write_bytes(content)
        digest = hashlib.sha256(content).hexdigest()
        url = f"http://{lab['b'].ipv4}:{PORT}/file"
        clients = [
            Client("curl (kernel TCP)", lambda out: ["curl", "-sS", "--max-time", "60", "-o", str(out), url]),
            Client(
                "rawnet http GET -o (rawnet.tcp)",
                lambda out: [sys.executable, "-m", "rawnet", "http", "GET", url, "-o", str(out)],
            ),
            Client(
                "rawnet.tcp.connect + GET (API)",
                lambda out: [sys.executable, __file__, "api", lab["b"].ipv4, str(PORT), "/file", str(out)],
            ),
        ]
        server = lab.popen(
            "b", [sys.executable, "-c", SERVER, str(scratch / "www"), str(PORT)], stderr=subprocess.PIPE
        )
        capture = scratch / "r1.pcap"
        flags = "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0"
        tcpdump = lab.popen(
            "r1",
            ["tcpdump", "-i", lab["r1"].interfaces["a"].name, "-n", "--immediate-mode", "-U", "-Z", "root",
             "-w", str(capture), f"tcp port {PORT} and {flags}"],
            stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            for name, process, ready in (
                ("http.server", server, "serving"),
                ("tcpdump", tcpdump, "tcpdump: listening on"),
            ):
                assert process.stderr is not None
                waiting, _, _ = select.select([process.stderr], [], [], 20)
                line = process.stderr.readline() if waiting else ""
                if not line.startswith(ready):
                    raise SystemExit(f"{name} did not start: {line!r}")
            unshaped = [download(lab, clients[0], scratch / "out", digest) for _ in range(options.rounds)]
            shape(lab)
            runs: dict[str, list[Download]] = {client.name: [] for client in clients}
            for round_number in range(options.rounds):
                shift = round_number % len(clients)
                for client in clients[shift:] + clients[:shift]:
                    print(f"round {round_number + 1}: {client.name}", file=sys.stderr)
                    runs[client.name].append(download(lab, client, scratch / "out", digest))
            dropped = tbf_drops(lab)
        finally:
            tcpdump.send_signal(signal.SIGINT)
            tcpdump.wait(20)
            server.kill()
            server.wait()
        connections = wire_times(capture)
    bits = options.size * 8

    def figures(downloads: list[Download]) -> tuple[float | None, float | None, int]:
        """(median Mbit/s on the wire, median Mbit/s of the whole process, downloads correct)."""
        wire, whole = [], []
        for each in downloads:
            if not each.correct:
                continue
            inside = [(syn, fin) for syn, fin in connections if each.started <= syn <= each.ended]
            if len(inside) == 1:
                wire.append(bits / (inside[0][1] - inside[0][0]) / 1e6)
            whole.append(bits / (each.ended - each.started) / 1e6)
        return (
            statistics.median(wire) if wire else None,
            statistics.median(whole) if whole else None,
            sum(each.correct for each in downloads),
        )

    def cell(value: float | None) -> str:
        return "-" if value is None else f"{value:,.0f}"

    def ratio(value: float | None, base: float | None) -> str:
        return "-" if value is None or base is None else f"{value / base:.2f}x"

    reference = figures(runs[clients[0].name])
    rounds = options.rounds
    print(f"\nDownloading a {options.size / 1e6:g} MB file from http.server in b to a through r1, whose")
    print(f"two links are shaped by tc tbf rate {RATE} burst {BURST} latency {LATENCY} ({dropped} packets")
    print("dropped by the shapers). Mbit/s of the file's bits: on the wire (client's SYN to the first FIN,")
    print(f"captured on r1) and over the whole process; medians of {rounds} interleaved downloads,")
    print("each checked by sha256.\n")
    print("| client | on the wire, Mbit/s | vs curl | whole process, Mbit/s | vs curl | correct |")
    print("|---|---:|---:|---:|---:|---:|")
    for client in clients:
        wire, whole, correct = figures(runs[client.name])
        cells = [client.name, cell(wire), ratio(wire, reference[0]), cell(whole), ratio(whole, reference[1])]
        print("| " + " | ".join([*cells, f"{correct}/{rounds}"]) + " |")
    wire, whole, correct = figures(unshaped)
    cells = ["curl, path not shaped (the server's ceiling)", cell(wire), "", cell(whole), ""]
    print("| " + " | ".join([*cells, f"{correct}/{rounds}"]) + " |")


if __name__ == "__main__":
    main()
