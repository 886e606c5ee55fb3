"""rawnet echo: the raw-socket post's servers and clients as tools, checked against independent peers.

The servers run in lab host b as subprocesses (`rawnet echo server`), and what reaches them is
crafted by rawnet in a (send, sr1) or sent by plain kernel sockets; the clients are checked
against the servers, against plain sockets and against the raw-socket post's own example server.
"""

from __future__ import annotations

import select
import socket
import subprocess
import sys
from contextlib import AbstractContextManager
from pathlib import Path

from rawnet import IP, TCP, UDP
from rawnet.net.lab import Lab
from rawnet.net.sendrecv import send, sr1
from tests.cli.conftest import RAWNET, assert_one_line_error, json_lines, rawnet
from tests.servers import started

PORT = 31500
TIMEOUT = 5.0
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def server(lab: Lab, host: str, *args: str) -> AbstractContextManager[subprocess.Popen[str]]:
    """`rawnet echo server ARGS` running in ``host``, yielded once it says it is listening."""
    argv = [*RAWNET, "echo", "server", *args]
    return started(lab, host, argv, lambda line: line.startswith("listening on "), TIMEOUT)


def finished(process: subprocess.Popen[str]) -> tuple[list[str], str]:
    """A server that must end by itself (an empty datagram, -c): its stdout lines and stderr."""
    assert process.wait(TIMEOUT) == 0
    assert process.stdout is not None and process.stderr is not None
    return process.stdout.read().splitlines(), process.stderr.read()


def test_the_udp_server_prints_what_the_kernel_accepted_of_rawnet_s_datagrams(lab: Lab) -> None:
    a, b = lab["a"], lab["b"]
    with server(lab, "b", "--udp", "--host", b.ipv4) as udp:
        datagram = IP(src=a.ipv4, dst=b.ipv4) / UDP(sport=5000, dport=PORT)
        send(datagram / b"crafted\x00\r\n", netns=a.netns)
        send(IP(src=a.ipv4, dst=b.ipv4) / UDP(sport=5001, dport=PORT, chksum=0x1234) / b"bad", netns=a.netns)
        send(IP(src=a.ipv4, dst=b.ipv4) / UDP(sport=5002, dport=PORT) / "héllo".encode(), netns=a.netns)
        send(datagram, netns=a.netns)  # empty: the raw-socket post's end
        lines, errors = finished(udp)
    assert lines == [
        "received: crafted\\x00\\r\\n from ('198.18.1.1', 5000)",  # bytes that are not text, escaped
        "received: héllo from ('198.18.1.1', 5002)",  # (the bad checksum never got past the kernel)
        "client has exist",
    ]
    assert "--- 2 datagrams (16 bytes) from 1 host ---" in errors


def test_the_udp_server_echoes_over_ipv6_counts_and_speaks_json(lab: Lab) -> None:
    a, b = lab["a"], lab["b"]
    with server(lab, "b", "--udp", "--host", b.ipv6, "--echo", "-c", "2", "--json") as udp:
        with lab.socket("a", socket.AF_INET6, socket.SOCK_DGRAM) as plain:
            plain.settimeout(TIMEOUT)
            plain.bind((a.ipv6, 6000))
            for text in (b"one", b"two"):
                plain.sendto(text, (b.ipv6, PORT))
                assert plain.recvfrom(100) == (text, (b.ipv6, PORT, 0, 0))
        lines, _ = finished(udp)
    records = json_lines("\n".join(lines))
    assert records[:2] == [
        {"type": "datagram", "from": a.ipv6, "port": 6000, "length": 3, "data": "one", "hex": "6f6e65"},
        {"type": "datagram", "from": a.ipv6, "port": 6000, "length": 3, "data": "two", "hex": "74776f"},
    ]
    assert records[2] == {
        "type": "statistics",
        "protocol": "udp",
        "connections": 0,
        "messages": 2,
        "bytes": 6,
        "peers": 1,
    }


def test_the_udp_client_sends_stdin_lines_until_an_empty_one_and_prints_echoes(lab: Lab) -> None:
    b = lab["b"]
    with server(lab, "b", "--udp", "--host", b.ipv4, "--echo") as udp:
        client = rawnet(
            lab, "a", "echo", "client", "--udp", "--host", b.ipv4, "-W", "2", "--end",
            input="hello\nworld\n\nnever sent\n",
        )  # fmt: skip
        assert client.returncode == 0, client.stderr
        assert client.stdout.splitlines() == [
            "received: hello from ('198.18.1.2', 31500)",
            "received: world from ('198.18.1.2', 31500)",
        ]
        lines, _ = finished(udp)  # --end's empty datagram ended it
    assert [line.split(" from ")[0] for line in lines] == [
        "received: hello",
        "received: world",
        "client has exist",
    ]


def test_the_tcp_server_answers_a_crafted_syn_and_serves_the_seed_s_client(lab: Lab) -> None:
    a, b = lab["a"], lab["b"]
    with server(lab, "b", "--tcp", "--host", b.ipv4, "-c", "1") as tcp:
        reply = sr1(IP(dst=b.ipv4) / TCP(sport=40000, dport=PORT, flags="S", seq=1000), netns=a.netns)
        assert reply is not None and reply[TCP].flags == "SA" and reply[TCP].ack == 1001
        client = rawnet(lab, "a", "echo", "client", "--tcp", "--host", b.ipv4)
        assert client.returncode == 0, client.stderr
        assert client.stdout.splitlines() == ["the data received is byebye"]
        lines, errors = finished(tcp)  # -c 1: one connection ended
    port = lines[0].rsplit(", ", 1)[1].rstrip(")")  # the client's port, as the server saw it
    assert lines == [
        f"got connected from ('198.18.1.1', {port})",  # one: the crafted SYN made no connection
        f"received: hihi from ('198.18.1.1', {port})",
        f"closed by ('198.18.1.1', {port})",
    ]
    assert "--- 1 connection, 1 message (4 bytes) ---" in errors


def test_the_tcp_server_greets_and_echoes_a_plain_ipv6_socket_in_json(lab: Lab) -> None:
    a, b = lab["a"], lab["b"]
    with server(
        lab, "b", "--tcp", "--host", b.ipv6, "--echo", "--greeting", "hello\\r\\n", "-c", "1", "--json"
    ) as tcp:
        with lab.socket("a", socket.AF_INET6, socket.SOCK_STREAM) as plain:
            plain.settimeout(TIMEOUT)
            plain.connect((b.ipv6, PORT))
            assert plain.recv(100) == b"hello\r\n"
            plain.sendall(b"ping")
            assert plain.recv(100) == b"ping"
            port = plain.getsockname()[1]
        lines, _ = finished(tcp)
    records = json_lines("\n".join(lines))
    assert [record["type"] for record in records] == ["connection", "data", "closed", "statistics"]
    assert records[0] == {"type": "connection", "from": a.ipv6, "port": port}
    assert records[1]["data"] == "ping" and records[1]["hex"] == "70696e67"
    assert records[2]["reset"] is False
    assert records[3]["messages"] == 1 and records[3]["connections"] == 1


def test_the_tcp_client_talks_to_the_seed_s_own_example_server(lab: Lab) -> None:
    b = lab["b"]
    argv = [sys.executable, str(EXAMPLES / "tcp_server.py"), "--host", b.ipv4, "--port", str(PORT)]
    example = lab.popen("b", argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert example.stderr is not None
        ready, _, _ = select.select([example.stderr], [], [], TIMEOUT)
        assert ready and example.stderr.readline().startswith("listening on")
        client = rawnet(
            lab, "a", "echo", "client", "--tcp", "--host", b.ipv4, "--stdin", "--json", input="from rawnet"
        )
        assert client.returncode == 0, client.stderr
        assert json_lines(client.stdout) == [
            {
                "type": "received",
                "from": b.ipv4,
                "port": PORT,
                "length": 6,
                "data": "byebye",
                "hex": "627965627965",
            }
        ]
        out, _ = example.communicate(timeout=TIMEOUT)
        assert out.splitlines()[1] == "from rawnet"  # the example printed what it got
    finally:
        if example.poll() is None:
            example.kill()
        example.communicate(timeout=TIMEOUT)


def test_bad_arguments_are_one_line_errors(lab: Lab) -> None:
    b = lab["b"]
    assert_one_line_error(rawnet(lab, "b", "echo", "server"), 2, "rawnet echo server", "--udp or --tcp")
    assert_one_line_error(rawnet(lab, "b", "echo", "server", "--udp", "--tcp"), 2, "--udp or --tcp")
    assert_one_line_error(rawnet(lab, "b", "echo", "server", "--udp", "-p", "70000"), 2, "'--port'")
    assert_one_line_error(rawnet(lab, "b", "echo", "server", "--udp", "-c", "-1"), 2, "'--count'")
    assert_one_line_error(rawnet(lab, "b", "echo", "server", "--udp", "--host", "300.1.1.1"), 2, "'--host'")
    not_here = rawnet(lab, "a", "echo", "server", "--udp", "--host", b.ipv4)  # b's address, in a
    assert_one_line_error(not_here, 2, "not an address of this host")
    assert_one_line_error(rawnet(lab, "a", "echo", "client", "--udp", "--stdin"), 2, "--stdin")
    assert_one_line_error(rawnet(lab, "a", "echo", "client", "--tcp", "--end"), 2, "--end")
    refused = rawnet(lab, "a", "echo", "client", "--tcp", "--host", b.ipv4, "-p", "9")
    assert_one_line_error(refused, 1, "cannot connect to 198.18.1.2:9", "refused")
    with server(lab, "b", "--udp", "--host", b.ipv4):
        taken = rawnet(lab, "b", "echo", "server", "--udp", "--host", b.ipv4)
        assert_one_line_error(taken, 2, "198.18.1.2:31500 is in use")
