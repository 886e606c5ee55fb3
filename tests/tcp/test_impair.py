"""The lab's impairments (tests/tcp/impair.py), proven with the kernel's own TCP and UDP.

Everything happens in a Lab.line(routers=1) (a - r1 - b, 198.18.0.0/15 and 2001:db8::/32):
downloads are curl from http.server, what happened on the wire is read back from tcpdump's
captures by tshark (its TCP analysis) and by a count of our own.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rawnet import ARP, IP, TCP, UDP, Ether, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, IPv6, Raw
from rawnet.net import PcapReader
from rawnet.net.lab import Lab
from rawnet.net.linux import ETH_P_IP, ETH_P_IPV6
from tests.servers import started
from tests.tcp.impair import Forwarder, Policy, decrement_ttl, drop, http_server

PORT = 8080
SIZE = 1_000_000
TIMEOUT = 20
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)  # linux/in.h; Python 3.11 does not export it
#: tshark's names for a segment that came after one further on in the sequence.
TSHARK_LATE = (
    "tcp.analysis.out_of_order || tcp.analysis.retransmission"
    " || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission"
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Lab, str]]:
    """A line lab whose b serves a 1 MB file of random bytes; yields the lab and the file's sha256."""
    content = os.urandom(SIZE)
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "file").write_bytes(content)
    with Lab.line(routers=1) as lab, http_server(lab, "b", str(tmp_path / "www"), PORT):
        yield lab, hashlib.sha256(content).hexdigest()
        assert lab.run("r1", ["iptables", "-S", "FORWARD"]).stdout == "-P FORWARD ACCEPT\n"
        assert lab.run("r1", ["ip6tables", "-S", "FORWARD"]).stdout == "-P FORWARD ACCEPT\n"


def download(lab: Lab, address: str, out: Path) -> str:
    """curl in a fetches the file from b at ``address``; returns the sha256 of what it wrote."""
    host = f"[{address}]" if ":" in address else address
    lab.run(
        "a",
        ["curl", "-sS", "--max-time", str(TIMEOUT), "-o", str(out), f"http://{host}:{PORT}/file"],
        check=True,
    )
    return hashlib.sha256(out.read_bytes()).hexdigest()


@contextmanager
def capture(lab: Lab, host: str, path: Path) -> Iterator[None]:
    """tcpdump writes what ``host`` receives on its link to r1 (TCP of the server's port) to ``path``."""
    argv = [
        "tcpdump", "-i", lab[host].interfaces["r1"].name, "-Q", "in", "-U", "-Z", "root", "-w", str(path),
        "tcp port", str(PORT),
    ]  # fmt: skip
    with started(lab, host, argv, lambda line: line.startswith("tcpdump: listening on"), TIMEOUT) as tcpdump:
        yield
        tcpdump.send_signal(signal.SIGINT)
        tcpdump.wait(TIMEOUT)


def tshark_late(path: Path) -> int:
    """Segments tshark's TCP analysis calls out of order or retransmitted."""
    shown = subprocess.run(
        ["tshark", "-n", "-r", str(path), "-Y", TSHARK_LATE, "-T", "fields", "-e", "frame.number"],
        capture_output=True,
        text=True,
        check=True,
    )
    return len(shown.stdout.split())


def late_segments(path: Path) -> int:
    """Data segments from the server that begin before the end of one received before them."""
    highest, late, first = 0, 0, None
    with PcapReader(str(path)) as reader:
        for packet in reader:
            segment = packet[TCP]
            if segment.sport != PORT:
                continue
            if first is None:  # (the SYN-ACK: its seq is the server's initial number)
                first = segment.seq
            size = len(bytes(segment.payload)) if segment.payload is not None else 0
            start = (segment.seq - first) % (1 << 32)
            if size and start < highest:
                late += 1
            highest = max(highest, start + size)
    return late


# -- the pieces -------------------------------------------------------------------------------
def ones_complement_sum(header: bytes) -> int:
    total = sum(int.from_bytes(header[at : at + 2], "big") for at in range(0, len(header), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


@pytest.mark.parametrize("ttl", [2, 64, 128, 255])
def test_decrement_ttl_keeps_the_ipv4_checksum_right(ttl: int) -> None:
    # Every identification number, so that every checksum value before and after is met.
    for ident in range(0, 65536, 7):
        frame = bytearray(
            bytes(14) + bytes(IP(src="198.18.1.1", dst="198.18.2.2", ttl=ttl, id=ident) / Raw(b"x"))
        )
        assert decrement_ttl(frame, ETH_P_IP)
        assert frame[22] == ttl - 1
        assert ones_complement_sum(bytes(frame[14:34])) == 0xFFFF, ident


def test_decrement_ttl_stops_at_one() -> None:
    for ethertype, at in ((ETH_P_IP, 22), (ETH_P_IPV6, 21)):
        for last in (0, 1):
            frame = bytearray(60)
            frame[at] = last
            assert not decrement_ttl(frame, ethertype)
            assert frame == bytearray(60) if last == 0 else frame[at] == 1
    frame = bytearray(60)
    frame[21] = 64
    assert decrement_ttl(frame, ETH_P_IPV6) and frame[21] == 63


def test_policy_holds_every_nth_packet_and_loses_by_its_seed() -> None:
    def decisions(policy: Policy, count: int) -> list[str]:
        return [policy.decide() for _ in range(count)]

    assert decisions(Policy(reorder_every=3), 7) == ["send", "send", "hold"] * 2 + ["send"]
    runs = [decisions(Policy(loss=0.1, seed=7), 2000) for _ in range(2)]
    assert runs[0] == runs[1]
    assert 120 < runs[0].count("drop") < 280
    assert runs[0] != decisions(Policy(loss=0.1, seed=8), 2000)
    assert set(decisions(Policy(), 50)) == {"send"}


# -- drop(): iptables in r1 --------------------------------------------------------------------
def udp_through(lab: Lab, sender: str, receiver: str, family: int, count: int) -> tuple[int, list[int]]:
    """``count`` datagrams from one end host to the other through r1: (received, TTLs seen)."""
    address = lab[receiver].ipv4 if family == socket.AF_INET else lab[receiver].ipv6
    inbound = lab.socket(receiver, family, socket.SOCK_DGRAM)
    outbound = lab.socket(sender, family, socket.SOCK_DGRAM)
    with inbound, outbound:
        if family == socket.AF_INET:
            inbound.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
        else:
            inbound.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
        inbound.bind((address, 0))
        inbound.settimeout(0.5)
        for number in range(count):
            outbound.sendto(b"datagram %d" % number, (address, inbound.getsockname()[1]))
        ttls = []
        try:
            while True:
                _, ancillary, _, _ = inbound.recvmsg(100, socket.CMSG_SPACE(4))
                ttls.append(int.from_bytes(ancillary[0][2][:4], "little"))
        except TimeoutError:
            pass
    return len(ttls), ttls


def test_drop_every_nth_packet_towards_one_host_and_nothing_left() -> None:
    with Lab.line(routers=1) as lab:
        before = lab.run("r1", ["iptables", "-S"]).stdout
        with drop(lab, towards="b", every=2) as drops:
            listed = lab.run("r1", ["iptables", "-S", "FORWARD"]).stdout
            assert "statistic --mode nth --every 2 --packet 0" in listed and "-j DROP" in listed
            received = [
                udp_through(lab, "a", "b", family, 10)[0] for family in (socket.AF_INET, socket.AF_INET6)
            ]
            back = [udp_through(lab, "b", "a", family, 10)[0] for family in (socket.AF_INET, socket.AF_INET6)]
        assert received == [5, 5] and back == [10, 10]  # (each family's rule counts its own packets)
        assert drops.seen == {"b": 20} and drops.dropped == {"b": 10}
        assert lab.run("r1", ["iptables", "-S"]).stdout == before
        for tool in ("iptables", "ip6tables"):
            assert lab.run("r1", [tool, "-S", "FORWARD"]).stdout == "-P FORWARD ACCEPT\n"


def test_a_download_through_one_percent_loss(served: tuple[Lab, str], tmp_path: Path) -> None:
    lab, digest = served
    with capture(lab, "a", tmp_path / "a.pcap"), drop(lab, probability=0.01) as drops:
        assert download(lab, lab["b"].ipv4, tmp_path / "out") == digest
    assert drops.seen["a"] > SIZE // 1500 and drops.seen["b"] > 0
    # About 1% of ~1,100 packets (P(none dropped) = 0.99^1100 = 0.002%).
    assert 0 < sum(drops.dropped.values()) < 0.05 * sum(drops.seen.values())
    if drops.dropped.get("a"):  # a data segment lost on its way to a came again later
        assert tshark_late(tmp_path / "a.pcap") >= 1
        assert late_segments(tmp_path / "a.pcap") >= 1


# -- Forwarder: rawnet in r1 -------------------------------------------------------------------
def sysctls(lab: Lab) -> list[str]:
    shown = lab.run("r1", ["sysctl", "-n", "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"])
    return shown.stdout.split()


def test_the_forwarder_forwards_ipv4_and_ipv6_in_place_of_the_kernel() -> None:
    with Lab.line(routers=1) as lab:
        assert sysctls(lab) == ["1", "1"]
        with Forwarder(lab) as forwarder:
            assert sysctls(lab) == ["0", "0"]
            # As through the kernel: one hop, TTL and hop limit 64 - 1 (and the IPv4 checksum right,
            # or the receiving kernel would drop the datagrams).
            for family in (socket.AF_INET, socket.AF_INET6):
                assert udp_through(lab, "a", "b", family, 5) == (5, [63] * 5)
                assert udp_through(lab, "b", "a", family, 5) == (5, [63] * 5)
            # r1's own addresses are its kernel's: answered, not forwarded.
            for address in (lab["r1"].interfaces["b"].ipv4, lab["r1"].interfaces["b"].ipv6):
                lab.run("a", ["ping", "-c", "2", "-i", "0.2", "-W", "2", address], check=True)
        assert sysctls(lab) == ["1", "1"]
        counters = forwarder.counters
        assert (counters.forwarded, counters.towards) == (20, {"a": 10, "b": 10})
        assert counters.held == counters.dropped == counters.expired == counters.socket_drops == 0
        # Forwarding is the kernel's again.
        assert udp_through(lab, "a", "b", socket.AF_INET, 3) == (3, [63] * 3)


class LinkHost:
    """A host of a's link with MACs of its own beside a's kernel (as rawnet.tcp's virtual hosts):
    a packet socket in a that answers ARP and neighbour solicitations for the addresses it is
    given, and keeps the UDP payloads sent to its MACs."""

    def __init__(self, lab: Lab, answering: dict[str, str]) -> None:
        self.lab = lab
        self.answering = answering  # address -> MAC
        self.socket = lab.socket("a", socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.socket.bind((lab["a"].interfaces["r1"].name, 0x0003))
        self.received: list[tuple[str, str, bytes]] = []  # (destination MAC, address, payload)

    def serve(self, seconds: float) -> None:
        """Answer and collect for ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.socket.settimeout(left)
            try:
                data, address = self.socket.recvfrom(65536)
            except TimeoutError:
                return
            if address[2] == socket.PACKET_OUTGOING:
                continue
            self._on(Ether(data))

    def _on(self, frame: Ether) -> None:
        if ARP in frame and frame[ARP].op == 1 and str(frame[ARP].pdst) in self.answering:
            mac = self.answering[str(frame[ARP].pdst)]
            request = frame[ARP]
            self.socket.send(
                bytes(
                    Ether(src=mac, dst=frame.src)
                    / ARP(op=2, hwsrc=mac, psrc=request.pdst, hwdst=request.hwsrc, pdst=request.psrc)
                )
            )
        elif ICMPv6ND_NS in frame and str(frame[ICMPv6ND_NS].tgt) in self.answering:
            target = str(frame[ICMPv6ND_NS].tgt)
            mac = self.answering[target]
            self.socket.send(
                bytes(
                    Ether(src=mac, dst=frame.src)
                    / IPv6(src=target, dst=frame[IPv6].src, hlim=255)
                    / ICMPv6ND_NA(tgt=target, R=0, S=1, O=1)
                    / ICMPv6NDOptDstLLAddr(lladdr=mac)
                )
            )
        elif UDP in frame and frame[UDP].dport == 9:
            network = frame[IP] if IP in frame else frame[IPv6]
            self.received.append((str(frame.dst), str(network.dst), bytes(frame[UDP].payload or b"")))

    def send_udp(self, src: str, mac: str, dst: str, port: int) -> None:
        """A datagram from ``src`` (at ``mac``) to ``dst``, through r1."""
        network = IP(src=src, dst=dst) if ":" not in src else IPv6(src=src, dst=dst)
        router = self.lab["r1"].interfaces["a"].mac
        self.socket.send(
            bytes(Ether(src=mac, dst=router) / network / UDP(sport=9, dport=port) / Raw(b"hello"))
        )


def test_the_forwarder_finds_hosts_with_macs_of_their_own() -> None:
    asked = {"198.18.1.77": "02:00:00:00:00:77", "2001:db8:1::77": "02:00:00:00:00:76"}
    known = {"198.18.1.78": "02:00:00:00:00:78", "2001:db8:1::78": "02:00:00:00:00:79"}
    with Lab.line(routers=1) as lab, Forwarder(lab) as forwarder:
        host = LinkHost(lab, asked)
        sender = {
            family: lab.socket("b", family, socket.SOCK_DGRAM) for family in (socket.AF_INET, socket.AF_INET6)
        }
        # b sends first: the forwarder asks who has the address (ARP, neighbour solicitation).
        for address in asked:
            sender[socket.AF_INET6 if ":" in address else socket.AF_INET].sendto(b"asked", (address, 9))
        host.serve(1.0)
        # The host sends first (and answers nothing): the forwarder learns its MAC from its frames.
        receiver = {family: lab.socket("b", family, socket.SOCK_DGRAM) for family in sender}
        for family, socket_ in receiver.items():
            socket_.bind((lab["b"].ipv4 if family == socket.AF_INET else lab["b"].ipv6, 0))
            socket_.settimeout(2)
        for address, mac in known.items():
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            host.send_udp(
                address,
                mac,
                lab["b"].ipv6 if ":" in address else lab["b"].ipv4,
                receiver[family].getsockname()[1],
            )
            assert receiver[family].recvfrom(100)[0] == b"hello"
            sender[family].sendto(b"known", (address, 9))
        sender[socket.AF_INET].sendto(b"nobody", ("198.18.1.99", 9))  # (no answer: given up)
        host.serve(1.5)
        for each in (*sender.values(), *receiver.values(), host.socket):
            each.close()
    expected = [(asked[address], address, b"asked") for address in asked]
    expected += [(known[address], address, b"known") for address in known]
    assert sorted(host.received) == sorted(expected)
    assert forwarder.counters.unresolved == 1


def test_a_download_through_reordering(served: tuple[Lab, str], tmp_path: Path) -> None:
    lab, digest = served
    with (
        capture(lab, "a", tmp_path / "a.pcap"),
        Forwarder(lab, reorder_every=10, hold=2, towards="a") as forwarder,
    ):
        assert download(lab, lab["b"].ipv4, tmp_path / "out") == digest
    counters = forwarder.counters
    assert counters.held > SIZE // 1448 // 10 - 5  # every 10th of ~700 segments
    assert counters.dropped == counters.socket_drops == counters.send_errors == 0
    late = late_segments(tmp_path / "a.pcap")
    # Each held data segment arrives after the two behind it; some held packets carry no data
    # (b's ACK of the request, its FIN), and a last one may be let go by the timer.
    assert late >= 0.8 * counters.held
    assert tshark_late(tmp_path / "a.pcap") >= 0.9 * late


def test_a_download_over_ipv6_through_seeded_loss(served: tuple[Lab, str], tmp_path: Path) -> None:
    lab, digest = served
    with Forwarder(lab, loss=0.02, seed=13) as forwarder:
        assert download(lab, lab["b"].ipv6, tmp_path / "out") == digest
    counters = forwarder.counters
    assert counters.dropped > 0 and counters.held == 0
    assert counters.towards["a"] > SIZE // 1500
