"""The post's four plain socket examples (examples/*.py) as real peers of rawnet inside a lab.

The example scripts use nothing but the kernel's sockets, so they are observers independent of
rawnet: the UDP server prints a datagram only if the kernel found rawnet's IP header and UDP
checksum right, and reports the source the kernel saw; a listening example server answers
rawnet's SYN. The other way round, rawnet's sniffer must see exactly what the examples sent.
Every script runs inside a lab namespace on a lab address, and is killed however a test ends.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from rawnet import IP, TCP, UDP, Ether, Layer
from rawnet.net.capture import AsyncSniffer
from rawnet.net.lab import Lab
from rawnet.net.sendrecv import send, sr1
from rawnet.net.sockets import RawSocket
from tests.servers import started

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PORT = 31500  # the post's port
TIMEOUT = 3.0  # seconds any one step may take


@pytest.fixture
def lab() -> Iterator[Lab]:
    with Lab.pair() as made:  # a fresh pair per test: no socket of one test lingers in the next
        yield made


def server(lab: Lab, host: str, script: str) -> AbstractContextManager[subprocess.Popen[str]]:
    """An example server running in ``host``, on its lab address; yielded once it is bound."""
    argv = [sys.executable, str(EXAMPLES / script), "--host", lab[host].ipv4, "--port", str(PORT)]
    expected = f"listening on ('{lab[host].ipv4}', {PORT})\n"
    return started(lab, host, argv, lambda line: line == expected, TIMEOUT)


def output(process: subprocess.Popen[str]) -> list[str]:
    """The lines a server printed, once it ended by itself (it must, within the timeout)."""
    assert process.wait(TIMEOUT) == 0
    assert process.stdout is not None
    return process.stdout.read().splitlines()


def client(lab: Lab, host: str, script: str, to: str, stdin: str = "") -> list[str]:
    """Run an example client in ``host`` against ``to``; the lines it printed."""
    argv = [sys.executable, str(EXAMPLES / script), "--host", to, "--port", str(PORT)]
    done = lab.run(host, argv, input=stdin, timeout=TIMEOUT, check=True)
    return done.stdout.splitlines()


def payload(packet: Layer) -> bytes:
    layer = packet[UDP] if UDP in packet else packet[TCP]
    return bytes(layer.payload or b"")


def test_the_udp_server_receives_what_rawnet_crafts_at_layers_3_and_2(lab: Lab) -> None:
    a, b = lab["a"], lab["b"]
    with server(lab, "b", "udp_server.py") as udp_server:
        send(IP(dst=b.ipv4) / UDP(sport=40100, dport=PORT) / b"hello", netns=a.netns)  # IP_HDRINCL
        frame = (
            Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac)
            / IP(src=a.ipv4, dst=b.ipv4)
            / UDP(sport=40101, dport=PORT)
            / b"from layer 2"
        )
        with RawSocket.l2(a.interfaces["b"].name, netns=a.netns) as raw:
            raw.send(frame)
        send(IP(dst=b.ipv4) / UDP(sport=40102, dport=PORT), netns=a.netns)  # empty: the server ends
        assert output(udp_server) == [
            f"received: hello from ('{a.ipv4}', 40100)",  # the source rawnet picked from a's routes
            f"received: from layer 2 from ('{a.ipv4}', 40101)",
            "client has exist",
        ]


def test_rawnet_sniffs_the_udp_clients_lines_in_order(lab: Lab) -> None:
    a, b = lab["a"], lab["b"]
    lines = ["one", "two words", "three"]
    sniffer = AsyncSniffer(
        iface=b.interfaces["a"].name,
        filter=f"udp port {PORT}",
        count=len(lines),
        timeout=TIMEOUT,
        netns=b.netns,
    )
    with server(lab, "b", "udp_server.py") as udp_server:
        sniffer.start()
        try:
            # The empty line ends the client: what follows it is never sent.
            assert client(lab, "a", "udp_client.py", b.ipv4, "\n".join([*lines, "", "not sent"]) + "\n") == []
        finally:
            sniffer.join(TIMEOUT)
            got = sniffer.stop()  # at once if it ended by itself
        assert [payload(packet) for packet in got] == [line.encode() for line in lines]
        assert {(p[IP].src, p[IP].dst, p[UDP].dport) for p in got} == {(a.ipv4, b.ipv4, PORT)}
        client_port = got[0][UDP].sport
        send(IP(dst=b.ipv4) / UDP(sport=40103, dport=PORT), netns=a.netns)  # the client never ends the server
        assert output(udp_server) == [
            *(f"received: {line} from ('{a.ipv4}', {client_port})" for line in lines),
            "client has exist",
        ]


def test_the_listening_tcp_server_answers_rawnets_syn(lab: Lab) -> None:
    a, b = lab["a"], lab["b"]
    with server(lab, "b", "tcp_server.py") as tcp_server:
        reply = sr1(
            IP(dst=b.ipv4) / TCP(sport=40200, dport=PORT, flags="S", seq=1000), netns=a.netns, timeout=2
        )
        assert reply is not None
        segment = reply[TCP]
        assert segment.flags == "SA"
        assert (segment.ack, segment.sport, segment.dport) == (1001, PORT, 40200)
        assert reply[IP].src == b.ipv4
        # a's kernel knows no such connection and resets it: the server still waits for a client.
        assert tcp_server.poll() is None
        assert client(lab, "a", "tcp_client.py", b.ipv4) == ["the data received is byebye"]
        printed = output(tcp_server)
        assert printed[0].startswith(f"got connected from ('{a.ipv4}', ") and printed[1:] == ["hihi"]
        assert not printed[0].endswith(", 40200)")  # the real client, not rawnet's half-open probe


def test_rawnet_sniffs_the_handshake_and_data_of_the_tcp_examples(lab: Lab) -> None:
    a, b = lab["a"], lab["b"]
    sniffer = AsyncSniffer(
        iface=b.interfaces["a"].name,
        filter=f"tcp port {PORT}",
        timeout=TIMEOUT,
        stop_filter=lambda packet: payload(packet) == b"hihi",  # the last data of the exchange
        netns=b.netns,
    )
    with server(lab, "b", "tcp_server.py") as tcp_server:
        sniffer.start()
        try:
            assert client(lab, "a", "tcp_client.py", b.ipv4) == ["the data received is byebye"]
            printed = output(tcp_server)
        finally:
            sniffer.join(TIMEOUT)
            got = sniffer.stop()  # at once if it ended by itself
    assert printed[0].startswith(f"got connected from ('{a.ipv4}', ") and printed[1:] == ["hihi"]
    segments = [packet[TCP] for packet in got]
    syn, syn_ack, ack = segments[:3]
    assert [syn.flags, syn_ack.flags, ack.flags] == ["S", "SA", "A"]
    assert (syn.dport, syn_ack.sport, ack.dport) == (PORT, PORT, PORT)
    assert syn_ack.ack == syn.seq + 1 and ack.ack == syn_ack.seq + 1
    assert [got[0].direction, got[1].direction, got[2].direction] == [0, 4, 0]  # host, outgoing, host
    data = [(packet[TCP].sport, payload(packet)) for packet in got if payload(packet)]
    assert data == [(PORT, b"byebye"), (syn.sport, b"hihi")]  # the server speaks first, as in the post
    assert printed[0] == f"got connected from ('{a.ipv4}', {syn.sport})"
